//! On Windows, gives `mail2pst.exe` its icon and its version information (product name,
//! version, description), which Explorer, the Start menu, the taskbar and the installer show.
//! Elsewhere it does nothing.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=assets/mail2pst.ico");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }
    let mut resource = winresource::WindowsResource::new();
    resource
        .set_icon("assets/mail2pst.ico")
        .set("ProductName", "mail2pst")
        .set("FileDescription", "mail2pst: mail to Outlook PST")
        .set(
            "LegalCopyright",
            "Copyright © the mail2pst authors. MIT or Apache-2.0.",
        );
    if let Err(error) = resource.compile() {
        panic!("cannot give mail2pst.exe its icon and version information: {error}");
    }
}
