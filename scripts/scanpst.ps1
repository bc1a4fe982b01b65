<#
.SYNOPSIS
    Writes the conformance PSTs with mail2pst and runs Outlook's Inbox Repair Tool (ScanPST) on
    each, printing what it finds per file.

.DESCRIPTION
    For a maintainer with Windows and Outlook (2013 or later) and a Rust toolchain, from a
    clone of the repository, with Outlook closed (ScanPST will not scan while it runs):

        powershell -ExecutionPolicy Bypass -File scripts\scanpst.ps1

    It builds mail2pst and the mailbox generator (cargo build --release), makes the source mail
    in a work folder, converts each source with `mail2pst convert` (the user's own command) and
    scans each PST with SCANPST.EXE, driving its window through UI Automation (ScanPST has no
    command line). Nothing is repaired: the tool only scans. The files, see
    docs/outlook-conformance.md ("Not checkable here"):

        empty       an empty mbox: the bare store (Outlook's own new store, compared node by
                    node in tests/pst_skeleton.rs)
        one         one message
        ten-thousand 10,000 messages in one folder (contents tables of many pages)
        attachments 60 MB of generated mail: attachments from 1 KB to 20 MB, inline images,
                    forwarded messages attached as message/rfc822 (embedded messages)
        recipients  one message with 500 recipients in To and Cc
        deep        a folder tree of .eml files 30 levels deep, two messages per level
        large       3 GB of generated mail: a PST past 2 GiB, with FPMap pages (-SkipLarge
                    leaves it out; it needs about 6 GB of disk and some minutes)

    For each PST it prints ScanPST's verdict ("No errors were found" or the errors listed),
    the lines of ScanPST's log (<name>.log beside the PST) when there is one, and at the end a
    table, file by file. The exit code is 0 when ScanPST found nothing in any file, 1 otherwise.

    A development build accepts the repository's test license key
    (fixtures\licenses\valid.key), which this script uses unless MAIL2PST_LICENSE_KEY is set;
    without a license mail2pst would convert only ten messages per folder.

.PARAMETER WorkDir
    Where the mail and the PSTs are made (default: mail2pst-scanpst in the temporary folder).
    Its contents are replaced.

.PARAMETER ScanPst
    The path of SCANPST.EXE, when it is not in one of Office's usual folders.

.PARAMETER SkipLarge
    Leave out the PST past 2 GiB.

.PARAMETER TimeoutMinutes
    How long one scan may take before the script gives up on it (default 60).
#>
[CmdletBinding()]
param(
    [string]$WorkDir = (Join-Path ([IO.Path]::GetTempPath()) 'mail2pst-scanpst'),
    [string]$ScanPst,
    [switch]$SkipLarge,
    [int]$TimeoutMinutes = 60
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$Repository = Split-Path -Parent $PSScriptRoot

# --- ScanPST ------------------------------------------------------------------------------

function Find-ScanPst {
    if ($ScanPst) {
        if (-not (Test-Path -LiteralPath $ScanPst)) { throw "No ScanPST at $ScanPst." }
        return (Resolve-Path -LiteralPath $ScanPst).Path
    }
    $roots = @($env:ProgramFiles, ${env:ProgramFiles(x86)}) | Where-Object { $_ }
    $folders = 'Microsoft Office\root\Office16', 'Microsoft Office\Office16',
        'Microsoft Office\root\Office15', 'Microsoft Office\Office15'
    foreach ($root in $roots) {
        foreach ($folder in $folders) {
            $candidate = Join-Path (Join-Path $root $folder) 'SCANPST.EXE'
            if (Test-Path -LiteralPath $candidate) { return $candidate }
        }
    }
    throw 'SCANPST.EXE was not found in the usual Office folders. Pass its path with -ScanPst.'
}

Add-Type -AssemblyName UIAutomationClient
Add-Type -AssemblyName UIAutomationTypes
$Automation = [System.Windows.Automation.AutomationElement]
$Tree = [System.Windows.Automation.TreeScope]
$Condition = [System.Windows.Automation.Condition]::TrueCondition

# The top-level windows of a process (ScanPST's main window and any message box it opens).
function Get-ProcessWindows([int]$ProcessId) {
    $property = [System.Windows.Automation.AutomationElement]::ProcessIdProperty
    $byProcess = New-Object System.Windows.Automation.PropertyCondition($property, $ProcessId)
    @($Automation::RootElement.FindAll($Tree::Children, $byProcess))
}

function Get-Descendants($Window) {
    @($Window.FindAll($Tree::Descendants, $Condition))
}

function Find-Control($Window, [string]$Type, [string]$NamePattern) {
    foreach ($element in Get-Descendants $Window) {
        $current = $element.Current
        if ($current.ControlType.ProgrammaticName -eq "ControlType.$Type" -and
            $current.Name -match $NamePattern) {
            return $element
        }
    }
    $null
}

function Invoke-Button($Button) {
    $pattern = [System.Windows.Automation.InvokePattern]::Pattern
    $Button.GetCurrentPattern($pattern).Invoke()
}

# Every text ScanPST shows in its windows, in order, without the static labels of the form.
function Get-Texts([int]$ProcessId) {
    foreach ($window in Get-ProcessWindows $ProcessId) {
        foreach ($element in Get-Descendants $window) {
            $current = $element.Current
            if ($current.ControlType.ProgrammaticName -eq 'ControlType.Text' -and $current.Name) {
                $current.Name.Trim()
            }
        }
    }
}

# Scans one PST; returns its verdict and findings.
function Invoke-ScanPstOn([string]$Tool, [string]$Pst) {
    $log = [IO.Path]::ChangeExtension($Pst, '.log')
    Remove-Item -LiteralPath $log -ErrorAction SilentlyContinue
    $process = Start-Process -FilePath $Tool -PassThru
    try {
        $deadline = (Get-Date).AddMinutes(1)
        $window = $null
        while (-not $window) {
            if ((Get-Date) -gt $deadline) { throw 'ScanPST did not open its window.' }
            Start-Sleep -Milliseconds 500
            $window = Get-ProcessWindows $process.Id | Select-Object -First 1
        }
        $edit = Find-Control $window 'Edit' '.*'
        if (-not $edit) { throw "ScanPST's window has no box for the file name." }
        $value = [System.Windows.Automation.ValuePattern]::Pattern
        $edit.GetCurrentPattern($value).SetValue($Pst)
        $start = Find-Control $window 'Button' '^&?Start$'
        if (-not $start) { throw "ScanPST's window has no Start button." }
        Invoke-Button $start

        # The scan has ended when ScanPST offers Repair (errors found) or shows its
        # "no errors" text, or when it opens a message box of its own (a file it cannot open).
        $deadline = (Get-Date).AddMinutes($TimeoutMinutes)
        $verdict = $null
        while (-not $verdict) {
            if ($process.HasExited) { throw 'ScanPST closed during the scan.' }
            if ((Get-Date) -gt $deadline) { throw "ScanPST did not finish in $TimeoutMinutes minutes." }
            Start-Sleep -Seconds 2
            $texts = @(Get-Texts $process.Id)
            $windows = @(Get-ProcessWindows $process.Id)
            $repair = $null
            foreach ($each in $windows) {
                $repair = Find-Control $each 'Button' '^&?Repair$'
                if ($repair) { break }
            }
            if ($texts -match 'No errors were found') {
                $verdict = 'clean'
            } elseif ($repair -and $repair.Current.IsEnabled) {
                $verdict = 'errors'
            } elseif ($windows.Count -gt 1) {
                $verdict = 'message'
            }
        }
        if ($verdict -eq 'errors') {
            $details = $null
            foreach ($each in Get-ProcessWindows $process.Id) {
                $details = Find-Control $each 'Button' '^&?Details'
                if ($details) { break }
            }
            if ($details) {
                Invoke-Button $details
                Start-Sleep -Seconds 2
            }
        }
        $shown = @(Get-Texts $process.Id | Select-Object -Unique)
        $logLines = @()
        if (Test-Path -LiteralPath $log) {
            $logLines = @(Get-Content -LiteralPath $log | Where-Object { $_.Trim() })
        }
        [pscustomobject]@{ Verdict = $verdict; Shown = $shown; Log = $logLines }
    } finally {
        if (-not $process.HasExited) { Stop-Process -Id $process.Id -Force }
    }
}

# --- The source mail ---------------------------------------------------------------------

function New-Writer([string]$Path) {
    $encoding = New-Object System.Text.UTF8Encoding($false)
    $writer = New-Object System.IO.StreamWriter($Path, $false, $encoding, 1MB)
    $writer.NewLine = "`n"
    $writer
}

# One RFC 5322 message in mbox form: a From_ line, the headers, a plain-text body.
function Write-Message($Writer, [int]$Number, [string]$Subject, [string]$Recipients, [string]$Body) {
    $minute = '{0:D2}' -f ($Number % 60)
    $Writer.WriteLine('From sender@example.com Mon Jan  7 09:00:00 2019')
    $Writer.WriteLine('From: Sender <sender@example.com>')
    $Writer.WriteLine("To: $Recipients")
    $Writer.WriteLine("Subject: $Subject")
    $Writer.WriteLine("Date: Mon, 7 Jan 2019 10:${minute}:00 +0000")
    $Writer.WriteLine("Message-ID: <conformance.$Number@example.com>")
    $Writer.WriteLine('MIME-Version: 1.0')
    $Writer.WriteLine('Content-Type: text/plain; charset=us-ascii')
    $Writer.WriteLine('')
    $Writer.WriteLine($Body)
    $Writer.WriteLine('')
}

function New-Mbox([string]$Path, [int]$Count) {
    $writer = New-Writer $Path
    try {
        for ($i = 0; $i -lt $Count; $i++) {
            $body = "Message $i of $Count.`nA line of text so that the body is not empty."
            Write-Message $writer $i "Message $i" 'Me <me@example.com>' $body
        }
    } finally { $writer.Dispose() }
}

function New-RecipientsMbox([string]$Path) {
    $to = (1..250 | ForEach-Object { "Person $_ <person$_@example.com>" }) -join ",`n "
    $cc = (251..500 | ForEach-Object { "Person $_ <person$_@example.org>" }) -join ",`n "
    $writer = New-Writer $Path
    try {
        $writer.WriteLine('From sender@example.com Mon Jan  7 09:00:00 2019')
        $writer.WriteLine('From: Sender <sender@example.com>')
        $writer.WriteLine("To: $to")
        $writer.WriteLine("Cc: $cc")
        $writer.WriteLine('Subject: Five hundred recipients')
        $writer.WriteLine('Date: Mon, 7 Jan 2019 10:00:00 +0000')
        $writer.WriteLine('Message-ID: <recipients@example.com>')
        $writer.WriteLine('')
        $writer.WriteLine('To everyone.')
        $writer.WriteLine('')
    } finally { $writer.Dispose() }
}

# A folder tree of .eml files: the tree becomes the PST's folders.
function New-DeepFolders([string]$Path, [int]$Depth) {
    $folder = $Path
    for ($level = 1; $level -le $Depth; $level++) {
        # Short names keep the deepest path under Windows' 260 characters.
        $folder = Join-Path $folder "L$level"
        New-Item -ItemType Directory -Path $folder -Force | Out-Null
        foreach ($n in 1, 2) {
            $number = $level * 10 + $n
            $text = "From: Sender <sender@example.com>`r`nTo: Me <me@example.com>`r`n" +
                "Subject: Level $level, message $n`r`nDate: Mon, 7 Jan 2019 10:00:00 +0000`r`n" +
                "Message-ID: <deep.$number@example.com>`r`n`r`nAt level $level.`r`n"
            [IO.File]::WriteAllText((Join-Path $folder "message$n.eml"), $text)
        }
    }
}

# --- The run ------------------------------------------------------------------------------

$tool = Find-ScanPst
Write-Host "ScanPST: $tool"

Push-Location $Repository
try {
    & cargo build --release --locked --bin mail2pst --example gen_corpus
    if ($LASTEXITCODE -ne 0) { throw 'cargo build failed.' }
} finally { Pop-Location }
$mail2pst = Join-Path $Repository 'target\release\mail2pst.exe'
$generator = Join-Path $Repository 'target\release\examples\gen_corpus.exe'

if (-not $env:MAIL2PST_LICENSE_KEY) {
    $env:MAIL2PST_LICENSE_KEY = (Get-Content -Raw -LiteralPath (
        Join-Path $Repository 'fixtures\licenses\valid.key')).Trim()
}

if (Test-Path -LiteralPath $WorkDir) { Remove-Item -LiteralPath $WorkDir -Recurse -Force }
$mail = Join-Path $WorkDir 'mail'
$psts = Join-Path $WorkDir 'pst'
New-Item -ItemType Directory -Path $mail, $psts | Out-Null

Write-Host 'Making the source mail...'
$sources = [ordered]@{}
$empty = Join-Path $mail 'Empty.mbox'
[IO.File]::WriteAllBytes($empty, [byte[]]@())
$sources['empty'] = $empty
$sources['one'] = Join-Path $mail 'One.mbox'
New-Mbox $sources['one'] 1
$sources['ten-thousand'] = Join-Path $mail 'Ten thousand.mbox'
New-Mbox $sources['ten-thousand'] 10000
$sources['attachments'] = Join-Path $mail 'Attachments.mbox'
& $generator --size 60MB --out $sources['attachments'] --seed 12
if ($LASTEXITCODE -ne 0) { throw 'gen_corpus failed.' }
$sources['recipients'] = Join-Path $mail 'Recipients.mbox'
New-RecipientsMbox $sources['recipients']
$sources['deep'] = Join-Path $mail 'Deep'
New-DeepFolders $sources['deep'] 30
if (-not $SkipLarge) {
    $sources['large'] = Join-Path $mail 'Large.mbox'
    & $generator --size 3GB --out $sources['large'] --seed 13
    if ($LASTEXITCODE -ne 0) { throw 'gen_corpus failed.' }
}

$results = @()
foreach ($name in $sources.Keys) {
    $pst = Join-Path $psts "$name.pst"
    Write-Host ''
    Write-Host "== $name"
    & $mail2pst convert $sources[$name] -o $pst --force -q
    $converted = $LASTEXITCODE
    if ($converted -ne 0 -or -not (Test-Path -LiteralPath $pst)) {
        Write-Host "mail2pst convert ended with exit code $converted; see $pst.report.html"
        $results += [pscustomobject]@{ File = "$name.pst"; MB = ''; ScanPST = "not converted ($converted)" }
        continue
    }
    $megabytes = [math]::Round((Get-Item -LiteralPath $pst).Length / 1MB, 1)
    try {
        $scan = Invoke-ScanPstOn $tool $pst
        $verdict = $scan.Verdict
        Write-Host "ScanPST: $verdict"
        $scan.Shown | ForEach-Object { Write-Host "  shown: $_" }
        $scan.Log | ForEach-Object { Write-Host "  log:   $_" }
    } catch {
        $verdict = "scan failed: $($_.Exception.Message)"
        Write-Host $verdict
    }
    $results += [pscustomobject]@{ File = "$name.pst"; MB = $megabytes; ScanPST = $verdict }
}

Write-Host ''
$results | Format-Table -AutoSize | Out-String | Write-Host
Write-Host "The PSTs and ScanPST's logs are in $psts."
if (@($results | Where-Object { $_.ScanPST -ne 'clean' }).Count -gt 0) { exit 1 }
exit 0
