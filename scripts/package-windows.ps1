# Builds the Windows installer of mail2pst on Windows: mail2pst.exe (with its icon and version
# information, from build.rs) in an NSIS installer made by cargo-packager from the configuration
# in Cargo.toml. The installer needs no administrator rights: it installs for the current user
# into %LOCALAPPDATA%\mail2pst, adds a Start-menu entry and an uninstaller (Settings > Apps).
#
# usage: pwsh scripts/package-windows.ps1
#
# Signing follows the environment: WINDOWS_CERTIFICATE (base64 of a .pfx) and
# WINDOWS_CERTIFICATE_PASSWORD sign mail2pst.exe and the installer with signtool, with a
# timestamp; without them nothing is signed (SmartScreen warns before the first start). It says
# which, and writes it to the workflow's summary when run there. The release's license public
# key and purchase page come from the environment, as for any build (MAIL2PST_LICENSE_PUBKEY,
# MAIL2PST_PURCHASE_URL).
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Set-Location (Join-Path $PSScriptRoot '..')

$PackagerVersion = '0.11.8'
$TimestampServer = 'http://timestamp.digicert.com'

function Say([string] $text) {
    Write-Host $text
    if ($env:GITHUB_STEP_SUMMARY) {
        Add-Content -Path $env:GITHUB_STEP_SUMMARY -Value "- Windows: $text"
    }
}

function Invoke-Checked([string] $program, [string[]] $arguments) {
    & $program @arguments
    if ($LASTEXITCODE -ne 0) {
        throw "$program $($arguments -join ' ') failed with exit code $LASTEXITCODE"
    }
}

$targetDir = if ($env:CARGO_TARGET_DIR) { $env:CARGO_TARGET_DIR } else { 'target' }
$out = Join-Path $targetDir 'packages'

$installed = & cargo packager --version 2>$null
if ($installed -ne "cargo-packager $PackagerVersion") {
    Invoke-Checked cargo @('install', 'cargo-packager', '--version', $PackagerVersion, '--locked')
}

Invoke-Checked cargo @('build', '--release', '--locked', '--package', 'mail2pst', '--bin', 'mail2pst')
# Where Cargo.toml's binaries-dir tells cargo-packager to take the program from (its debug
# information stays in the .pdb beside the build).
$staged = 'target\package-bin'
if (Test-Path $staged) { Remove-Item -Recurse -Force $staged }
New-Item -ItemType Directory -Path $staged | Out-Null
Copy-Item (Join-Path $targetDir 'release\mail2pst.exe') $staged
$exe = Join-Path $staged 'mail2pst.exe'

# The signing certificate, if there is one, and the newest signtool of the Windows SDK.
$certificate = $null
if ($env:WINDOWS_CERTIFICATE) {
    $certificate = Join-Path ([System.IO.Path]::GetTempPath()) 'mail2pst-signing.pfx'
    [System.IO.File]::WriteAllBytes($certificate, [System.Convert]::FromBase64String($env:WINDOWS_CERTIFICATE))
    $signtool = Get-ChildItem -Path "${env:ProgramFiles(x86)}\Windows Kits\10\bin" -Recurse -Filter signtool.exe |
        Where-Object { $_.FullName -match '\\x64\\' } |
        Sort-Object FullName -Descending |
        Select-Object -First 1
    if (-not $signtool) { throw 'signtool.exe was not found in the Windows SDK' }
}

function Sign([string] $file) {
    Invoke-Checked $signtool.FullName @(
        'sign', '/f', $certificate, '/p', $env:WINDOWS_CERTIFICATE_PASSWORD,
        '/fd', 'sha256', '/tr', $TimestampServer, '/td', 'sha256', '/d', 'mail2pst', $file)
    Invoke-Checked $signtool.FullName @('verify', '/pa', $file)
}

try {
    if ($certificate) { Sign $exe }

    if (Test-Path $out) { Remove-Item -Recurse -Force $out }
    Invoke-Checked cargo @('packager', '--release', '--formats', 'nsis', '--out-dir', $out)
    $installer = Get-ChildItem -Path $out -Filter '*-setup.exe' | Select-Object -First 1
    if (-not $installer) { throw "no installer in $out" }

    if ($certificate) {
        Sign $installer.FullName
        Say "signed: $($installer.Name)"
    } else {
        Say "NOT signed (no WINDOWS_CERTIFICATE): $($installer.Name)"
    }
    Get-Item $installer.FullName | Format-List Name, Length
} finally {
    if ($certificate) { Remove-Item -Force $certificate -ErrorAction SilentlyContinue }
}
