//! The connection to an IMAP server: TCP, TLS (rustls, the system's trusted certificates plus
//! one the user names), `STARTTLS`, the login, and what each failure means in words.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use super::{ImapAccount, Security};
use crate::sources::Error;

/// The port of IMAP over TLS.
pub const DEFAULT_IMAPS_PORT: u16 = 993;
/// The port of IMAP, upgraded with `STARTTLS`.
pub const DEFAULT_IMAP_PORT: u16 = 143;

/// How long connecting may take, and how long the server may stay silent in the middle of an
/// answer, before the connection counts as lost.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
const READ_TIMEOUT: Duration = Duration::from_secs(120);

/// A logged-in connection.
pub type Session = imap::Session<Stream>;

/// The bytes to and from the server: TLS, or plain TCP when the user allowed it.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<ClientConnection, TcpStream>>),
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stream::Plain(_) => f.write_str("Stream::Plain"),
            Stream::Tls(_) => f.write_str("Stream::Tls"),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// Connects to the account's server, protects the connection as the account says and logs in.
pub fn connect(account: &ImapAccount) -> Result<Session, Error> {
    let server = account.label();
    let fail = |what: String| Error::Server {
        server: server.clone(),
        what,
    };
    let tcp = open_tcp(&account.host, account.port).map_err(|e| {
        fail(format!(
            "could not connect to {}:{}: {}",
            account.host,
            account.port,
            describe_io(&e)
        ))
    })?;
    let stream = match account.security {
        Security::Tls => Stream::Tls(Box::new(
            start_tls(account, tcp).map_err(|e| fail(describe_io(&e)))?,
        )),
        Security::StartTls => {
            let tcp = ask_for_starttls(tcp).map_err(fail)?;
            Stream::Tls(Box::new(
                start_tls(account, tcp).map_err(|e| fail(describe_io(&e)))?,
            ))
        }
        Security::Unencrypted => Stream::Plain(tcp),
    };
    let mut client = imap::Client::new(stream);
    if account.security != Security::StartTls {
        client
            .read_greeting()
            .map_err(|e| fail(format!("the server did not greet: {}", describe(&e))))?;
    }
    client
        .login(&account.user, account.password.expose())
        .map_err(|(error, _)| match error {
            imap::Error::No(no) => Error::LoginRefused {
                server: server.clone(),
                what: format!(
                    "the server refused the user name or the password ({}). Check both; \
                     iCloud, Gmail, Yahoo and Outlook.com need an app password, made on the \
                     account's security page, instead of the account's own password",
                    no.information.trim()
                ),
            },
            other => fail(format!("logging in failed: {}", describe(&other))),
        })
}

/// True when something on `host` accepts a connection on `port` (it is closed again at once).
pub fn answers(host: &str, port: u16) -> bool {
    open_tcp(host, port).is_ok()
}

fn open_tcp(host: &str, port: u16) -> io::Result<TcpStream> {
    let unknown = || {
        io::Error::new(
            io::ErrorKind::NotFound,
            "no server has this name (check its spelling and the network connection)",
        )
    };
    let mut last = unknown();
    for address in (host, port).to_socket_addrs().map_err(|_| unknown())? {
        match TcpStream::connect_timeout(&address, CONNECT_TIMEOUT) {
            Ok(tcp) => {
                tcp.set_read_timeout(Some(READ_TIMEOUT))?;
                tcp.set_write_timeout(Some(READ_TIMEOUT))?;
                return Ok(tcp);
            }
            Err(error) => last = error,
        }
    }
    Err(last)
}

/// Reads the greeting and asks for `STARTTLS`; the connection is then ready for the TLS
/// handshake. The server's lines are read a byte at a time, so nothing of the TLS handshake
/// is taken by a buffer.
fn ask_for_starttls(mut tcp: TcpStream) -> Result<TcpStream, String> {
    let io = |e: io::Error| describe_io(&e);
    let greeting = read_line(&mut tcp).map_err(io)?;
    if !greeting.starts_with("* OK") {
        return Err(format!("the server did not greet: {}", greeting.trim()));
    }
    tcp.write_all(b"m1 STARTTLS\r\n").map_err(io)?;
    loop {
        let line = read_line(&mut tcp).map_err(io)?;
        if let Some(status) = line.strip_prefix("m1 ") {
            if status.starts_with("OK") {
                return Ok(tcp);
            }
            return Err(format!(
                "the server does not offer STARTTLS ({}), so the password would cross the \
                 network unencrypted; use its TLS port (imaps://, usually 993)",
                status.trim()
            ));
        }
    }
}

fn read_line(tcp: &mut TcpStream) -> io::Result<String> {
    let mut line = Vec::new();
    let mut byte = [0u8];
    while !line.ends_with(b"\n") {
        if tcp.read(&mut byte)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        line.push(byte[0]);
        if line.len() > 64 * 1024 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "a line too long",
            ));
        }
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

/// The TLS handshake, done here so that a certificate problem is an error of connecting.
fn start_tls(
    account: &ImapAccount,
    mut tcp: TcpStream,
) -> io::Result<rustls::StreamOwned<ClientConnection, TcpStream>> {
    let config = tls_config(account)?;
    let name = ServerName::try_from(account.host.clone())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let mut connection = ClientConnection::new(Arc::new(config), name)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    while connection.is_handshaking() {
        connection.complete_io(&mut tcp)?;
    }
    Ok(rustls::StreamOwned::new(connection, tcp))
}

fn tls_config(account: &ImapAccount) -> io::Result<ClientConfig> {
    // ring builds everywhere the app does without CMake (aws-lc-rs, the provider rustls now
    // prefers for its post-quantum key exchange, needs it on Windows).
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    let mut pinned = Vec::new();
    if let Some(path) = &account.trusted_certificate {
        let unreadable = |what: String| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("the certificate file {}: {what}", path.display()),
            )
        };
        let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| unreadable(e.to_string()))?
            .collect::<Result<_, _>>()
            .map_err(|e| unreadable(e.to_string()))?;
        if certificates.is_empty() {
            return Err(unreadable("it holds no PEM certificate".to_owned()));
        }
        roots.add_parsable_certificates(certificates.iter().cloned());
        pinned = certificates;
    }
    let webpki = if roots.is_empty() {
        None
    } else {
        Some(
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| io::Error::other(e.to_string()))?,
        )
    };
    let verifier = Verifier {
        pinned,
        webpki,
        provider: provider.clone(),
    };
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| io::Error::other(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

/// The system's trust, plus the certificates the user gave: a server presenting exactly one
/// of those is trusted whatever its name and issuer (a self-signed certificate of a
/// self-hosted server); any other certificate must chain to a trusted authority.
#[derive(Debug)]
struct Verifier {
    pinned: Vec<CertificateDer<'static>>,
    webpki: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self
            .pinned
            .iter()
            .any(|pinned| pinned.as_ref() == end_entity.as_ref())
        {
            return Ok(ServerCertVerified::assertion());
        }
        match &self.webpki {
            Some(webpki) => webpki.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ),
            None => Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// True when the error means the connection is gone (worth connecting again), not that the
/// server refused something.
pub fn is_connection_lost(error: &imap::Error) -> bool {
    matches!(
        error,
        imap::Error::Io(_) | imap::Error::ConnectionLost | imap::Error::Bye(_)
    )
}

/// What an IMAP error means, in words.
pub fn describe(error: &imap::Error) -> String {
    match error {
        imap::Error::Io(e) => describe_io(e),
        imap::Error::ConnectionLost => "the connection to the server was cut".to_owned(),
        imap::Error::Bye(bye) => format!("the server hung up ({})", bye.information.trim()),
        imap::Error::No(no) => format!("the server said no: {}", no.information.trim()),
        imap::Error::Bad(bad) => format!(
            "the server did not take a command: {}",
            bad.information.trim()
        ),
        imap::Error::Parse(e) => format!("the server's answer could not be read: {e}"),
        other => other.to_string(),
    }
}

/// What an I/O error while talking to the server means, in words (certificate problems
/// included: rustls reports them as I/O errors of the handshake).
pub fn describe_io(error: &io::Error) -> String {
    if let Some(tls) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return describe_tls(tls);
    }
    match error.kind() {
        io::ErrorKind::ConnectionRefused => {
            "the server refused the connection (is the server's name and port right?)".to_owned()
        }
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            "the server did not answer in time".to_owned()
        }
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => "the connection to the server was cut".to_owned(),
        _ => error.to_string(),
    }
}

fn describe_tls(error: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match error {
        rustls::Error::InvalidCertificate(
            C::NotValidForName | C::NotValidForNameContext { .. },
        ) => "the server's certificate is made out to another name: check the server's name"
            .to_owned(),
        rustls::Error::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            "the server's certificate has expired".to_owned()
        }
        // Unknown issuer, a self-signed certificate, an authority's certificate used as the
        // server's own: all mean this computer has no reason to trust it.
        rustls::Error::InvalidCertificate(_) => format!(
            "the server's certificate is not trusted: it is self-signed or issued by an \
             authority this computer does not trust. If this is your own or your \
             organization's server, give its certificate file to trust it (command line: \
             --trust-certificate FILE) [{error}]"
        ),
        other => format!("the secure connection failed: {other}"),
    }
}
