//! The converter on real mail: golden renderings of chosen corpus messages (each run with LF and
//! with CRLF line ends), invariants over every message of the corpus, spot checks of attachment
//! counts and bytes against Python's `email` package, and random bytes.
//!
//! Golden files live in `fixtures/golden/convert/`. A mismatch writes `<name>.failed` beside the
//! golden file and fails; `MAIL2PST_BLESS=1 cargo test convert_corpus` (re)writes them (review
//! each by eye before committing).
//!
//! Line ends: the converter gives bodies and transport headers CRLF line ends itself, but an
//! attachment that was not transfer-encoded (7bit, 8bit) keeps the line ends of the file, and so
//! does a body with a stray CR. The rendering therefore compares text and attachment bytes with
//! line ends normalized (every run of CRs before an LF removed); that is the only difference the
//! LF and CRLF runs are allowed to have. Attachment hashes in golden files are of normalized
//! bytes; exact bytes are checked by the spot checks against Python below.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use mail2pst::convert::{self, Converted, UNPARSEABLE_SUBJECT};
use mail2pst::model::{FolderPath, MessageFlags, Origin, RawMessage};
use mail2pst::pst::{self, AttachmentContent, FileTime};
use sha2::{Digest as _, Sha256};

use crate::util::{CORPUS_MBOXES, corpus, fixtures, mbox_messages};

// ---------------------------------------------------------------------------------------------
// Rendering

/// How much of a long text a golden file shows; the rest is covered by its length and hash.
const SHOWN_CHARS: usize = 3000;

/// Every run of CRs directly before an LF removed.
fn strip_cr_before_lf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for (at, &b) in bytes.iter().enumerate() {
        if b == b'\r' {
            let next_other = bytes[at..].iter().position(|&c| c != b'\r');
            if next_other.is_some_and(|n| bytes[at + n] == b'\n') {
                continue;
            }
        }
        out.push(b);
    }
    out
}

/// Every LF that has no CR before it given one.
fn add_cr_before_lf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 20);
    let mut previous = 0u8;
    for &b in bytes {
        if b == b'\n' && previous != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        previous = b;
    }
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn time(time: Option<FileTime>) -> String {
    match time {
        None => "-".to_owned(),
        Some(t) => match chrono::DateTime::from_timestamp(t.to_unix(), 0) {
            Some(utc) => utc.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            None => format!("filetime {}", t.0),
        },
    }
}

/// A string on one line, with control characters made visible.
fn line(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn opt_line(text: Option<&str>) -> String {
    text.map_or_else(|| "-".to_owned(), line)
}

fn address(a: &pst::Address) -> String {
    format!("{} <{}>", opt_line(a.name.as_deref()), a.email)
}

/// A multi-line text as an indented block: line ends normalized, long texts cut (with the
/// length and hash of the whole normalized text).
fn block(out: &mut String, indent: &str, label: &str, text: Option<&str>) {
    let Some(text) = text else {
        let _ = writeln!(out, "{indent}{label}: -");
        return;
    };
    let normalized = strip_cr_before_lf(text.as_bytes());
    let normalized = String::from_utf8_lossy(&normalized);
    let _ = writeln!(
        out,
        "{indent}{label}: {} chars, sha256 {}",
        normalized.chars().count(),
        sha256_hex(normalized.as_bytes())
    );
    let shown: String = normalized.chars().take(SHOWN_CHARS).collect();
    for text_line in shown.split('\n') {
        let visible: String = text_line
            .chars()
            .map(|c| match c {
                '\t' => '→',
                c if c.is_control() => '¤',
                c => c,
            })
            .collect();
        let _ = writeln!(out, "{indent}  | {visible}");
    }
    if normalized.chars().count() > SHOWN_CHARS {
        let _ = writeln!(out, "{indent}  | [… cut]");
    }
}

fn render_message(out: &mut String, indent: &str, m: &pst::Message) {
    let _ = writeln!(out, "{indent}subject: {}", opt_line(m.subject.as_deref()));
    let _ = writeln!(
        out,
        "{indent}from: {}",
        m.from.as_ref().map_or("-".to_owned(), address)
    );
    let _ = writeln!(
        out,
        "{indent}sender: {}",
        m.sender.as_ref().map_or("-".to_owned(), address)
    );
    for r in &m.recipients {
        let _ = writeln!(out, "{indent}{:?}: {}", r.kind, address(&r.address));
    }
    let _ = writeln!(out, "{indent}submit_time: {}", time(m.submit_time));
    let _ = writeln!(out, "{indent}delivery_time: {}", time(m.delivery_time));
    let _ = writeln!(out, "{indent}state: {:?}", m.state);
    let _ = writeln!(out, "{indent}importance: {:?}", m.importance);
    let _ = writeln!(
        out,
        "{indent}message_id: {}",
        opt_line(m.internet_message_id.as_deref())
    );
    let _ = writeln!(
        out,
        "{indent}in_reply_to: {}",
        opt_line(m.in_reply_to.as_deref())
    );
    let _ = writeln!(
        out,
        "{indent}references: {}",
        opt_line(m.references.as_deref())
    );
    let _ = writeln!(out, "{indent}categories: {:?}", m.categories);
    let _ = writeln!(
        out,
        "{indent}conversation_index: {}",
        m.conversation_index.as_ref().map_or("-".to_owned(), |i| i
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect())
    );
    block(
        out,
        indent,
        "transport_headers",
        m.transport_headers.as_deref(),
    );
    block(out, indent, "body_text", m.body_text.as_deref());
    block(out, indent, "body_html", m.body_html.as_deref());
    let _ = writeln!(out, "{indent}attachments: {}", m.attachments.len());
    for (n, a) in m.attachments.iter().enumerate() {
        let _ = writeln!(
            out,
            "{indent}- attachment {n}: {}",
            opt_line(a.filename.as_deref())
        );
        let inner = format!("{indent}    ");
        let _ = writeln!(
            out,
            "{inner}mime_type: {}",
            opt_line(a.mime_type.as_deref())
        );
        let _ = writeln!(
            out,
            "{inner}content_id: {}",
            opt_line(a.content_id.as_deref())
        );
        let _ = writeln!(
            out,
            "{inner}content_location: {}",
            opt_line(a.content_location.as_deref())
        );
        let _ = writeln!(out, "{inner}hidden: {}", a.hidden);
        match &a.content {
            AttachmentContent::Data(bytes) => {
                let normalized = strip_cr_before_lf(bytes);
                let _ = writeln!(
                    out,
                    "{inner}data: {} bytes, sha256 {}",
                    normalized.len(),
                    sha256_hex(&normalized)
                );
            }
            AttachmentContent::Message(embedded) => {
                let _ = writeln!(out, "{inner}message:");
                render_message(out, &format!("{inner}  "), embedded);
            }
            AttachmentContent::Streamed(_) => panic!("corpus messages are held in memory"),
        }
    }
}

/// The golden rendering of a conversion.
fn render(converted: &Converted) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "degraded: {}", converted.degraded);
    let _ = writeln!(out, "warnings: {}", converted.warnings.len());
    for w in &converted.warnings {
        let _ = writeln!(out, "- {w}");
    }
    render_message(&mut out, "", &converted.message);
    out
}

fn raw_message(bytes: Vec<u8>, path: &Path) -> RawMessage {
    RawMessage::new(
        FolderPath::root(),
        bytes,
        Origin::File {
            path: path.to_path_buf(),
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Golden files

/// Corpus messages with a golden rendering, by golden file name, and what each one covers.
const GOLDEN: &[(&str, &str)] = &[
    // plain messages, charsets
    (
        "plain-simple",
        "eml/mikel-mail/spec/fixtures/emails/plain_emails/basic_email.eml",
    ),
    (
        "rfc6532-utf8-headers",
        "eml/mikel-mail/spec/fixtures/emails/rfc6532/utf8_headers.eml",
    ),
    (
        "charset-iso-2022-jp",
        "eml/mikel-mail/spec/fixtures/emails/multi_charset/japanese_iso_2022.eml",
    ),
    (
        "charset-shift-jis",
        "eml/mikel-mail/spec/fixtures/emails/multi_charset/japanese_shift_jis.eml",
    ),
    (
        "charset-ks-c-5601",
        "eml/mikel-mail/spec/fixtures/emails/multi_charset/ks_c_5601-1987.eml",
    ),
    (
        "charset-japanese-attachment-name",
        "eml/mikel-mail/spec/fixtures/emails/multi_charset/japanese_attachment_long_name.eml",
    ),
    (
        "charset-mixed-iso-8859",
        "eml/cpython-test_email/Lib/test/test_email/data/msg_12a.txt",
    ),
    (
        "charset-koi8-r-tnef",
        "eml/MimeKit/UnitTests/TestData/tnef/ukr.eml",
    ),
    (
        "charset-iso-2022-jp-qp",
        "eml/comm-central/mailnews/test/data/iso-2022-jp-qp.eml",
    ),
    (
        "charset-cp932-alias",
        "eml/comm-central/mail/test/browser/composition/data/charset-cp932.eml",
    ),
    (
        "charset-bad",
        "eml/comm-central/mailnews/test/data/bad-charset.eml",
    ),
    (
        "charset-wrongly-declared",
        "eml/comm-central/mail/test/browser/message-reader/data/wronglyDeclaredShift_JIS.eml",
    ),
    (
        "charset-8bit-subject",
        "eml/mikel-mail/spec/fixtures/emails/error_emails/invalid_subject_characters.eml",
    ),
    (
        "subject-long-folded",
        "eml/cpython-test_email/Lib/test/test_email/data/msg_27.txt",
    ),
    (
        "subject-bad-encoded-word",
        "eml/mikel-mail/spec/fixtures/emails/error_emails/bad_encoded_subject.eml",
    ),
    (
        "subject-partially-quoted",
        "eml/mikel-mail/spec/fixtures/emails/plain_emails/raw_email_with_partially_quoted_subject.eml",
    ),
    // no header, broken header
    (
        "no-header-text",
        "eml/cpython-test_email/Lib/test/test_email/data/msg_19.txt",
    ),
    (
        "no-header-blank-first-line",
        "eml/comm-central/mailnews/test/data/basic4",
    ),
    (
        "no-header-html-as-text",
        "eml/comm-central/mailnews/test/data/basic5",
    ),
    (
        "header-without-blank-line",
        "eml/cpython-test_email/Lib/test/test_email/data/msg_35.txt",
    ),
    (
        "header-stray-line",
        "eml/mikel-mail/spec/fixtures/emails/plain_emails/raw_email_incorrect_header.eml",
    ),
    (
        "header-leading-colon",
        "eml/comm-central/mailnews/test/data/bugmail1",
    ),
    (
        "header-garbled-first-line",
        "eml/stalwart-mail-parser/resources/eml/malformed/019.eml",
    ),
    (
        "header-two-from",
        "eml/mikel-mail/spec/fixtures/emails/mime_emails/two_from_in_message.eml",
    ),
    (
        "header-mbox-from-line",
        "eml/comm-central/mailnews/local/test/unit/data/message_with_from_line.eml",
    ),
    (
        "rfc2822-obsolete-syntax",
        "eml/mikel-mail/spec/fixtures/emails/rfc2822/example13.eml",
    ),
    // dates and recipients
    (
        "date-missing-value",
        "eml/mikel-mail/spec/fixtures/emails/error_emails/bad_date_header.eml",
    ),
    (
        "date-bad-hour",
        "eml/mikel-mail/spec/fixtures/emails/error_emails/bad_date_header2.eml",
    ),
    (
        "date-year-3609",
        "eml/mikel-mail/spec/fixtures/emails/plain_emails/raw_email_bad_time.eml",
    ),
    (
        "date-words",
        "eml/mikel-mail/spec/fixtures/emails/plain_emails/raw_email_with_bad_date.eml",
    ),
    (
        "recipients-empty-group",
        "eml/mikel-mail/spec/fixtures/emails/error_emails/empty_group_lists.eml",
    ),
    (
        "recipients-newline-in-to",
        "eml/mikel-mail/spec/fixtures/emails/error_emails/new_line_in_to_header.eml",
    ),
    (
        "recipients-malformed",
        "eml/comm-central/mailnews/local/test/unit/data/mailformed_recipients.eml",
    ),
    (
        "sender-header",
        "eml/comm-central/mailnews/test/data/SenderHeader",
    ),
    (
        "mail-without-from",
        "eml/comm-central/mailnews/test/data/mail-without-from",
    ),
    // transfer encodings
    (
        "cte-semicolon",
        "eml/mikel-mail/spec/fixtures/emails/error_emails/content_transfer_encoding_with_semi_colon.eml",
    ),
    (
        "cte-unknown-spam",
        "eml/mikel-mail/spec/fixtures/emails/error_emails/content_transfer_encoding_spam.eml",
    ),
    (
        "cte-x-uuencode",
        "eml/mikel-mail/spec/fixtures/emails/error_emails/content_transfer_encoding_x_uuencode.eml",
    ),
    (
        "cte-8bit-undeclared",
        "eml/mikel-mail/spec/fixtures/emails/error_emails/content_transfer_encoding_with_8bits.eml",
    ),
    (
        "cte-binary",
        "eml/mikel-mail/spec/fixtures/emails/mime_emails/raw_email_with_binary_encoded.eml",
    ),
    (
        "base64-with-whitespace",
        "eml/comm-central/mailnews/test/data/base64-with-whitespace.eml",
    ),
    (
        "qp-trailing-equals",
        "eml/comm-central/mailnews/test/data/qp-trailing-equals-plain.eml",
    ),
    // MIME structure
    (
        "mime-missing-content-type",
        "eml/cpython-test_email/Lib/test/test_email/data/msg_03.txt",
    ),
    (
        "mime-bare-text-type",
        "eml/cpython-test_email/Lib/test/test_email/data/msg_14.txt",
    ),
    (
        "mime-multiple-content-types",
        "eml/mikel-mail/spec/fixtures/emails/error_emails/multiple_content_types.eml",
    ),
    (
        "mime-part-without-content-type",
        "eml/mikel-mail/spec/fixtures/emails/mime_emails/raw_email_with_mimepart_without_content_type.eml",
    ),
    (
        "mime-nested-multiparts",
        "eml/cpython-test_email/Lib/test/test_email/data/msg_38.txt",
    ),
    (
        "html-only",
        "eml/comm-central/mailnews/test/data/03-HTML.eml",
    ),
    (
        "plain-and-html",
        "eml/comm-central/mailnews/test/data/06-plaintext+HMTL.eml",
    ),
    (
        "inline-image-cid",
        "eml/comm-central/mailnews/test/data/10-plaintext+(HTML+embedded-image)+attachment.eml",
    ),
    (
        "inline-image-location",
        "eml/mikel-mail/spec/fixtures/emails/attachment_emails/attachment_content_location.eml",
    ),
    (
        "apple-mail-related",
        "eml/comm-central/mail/test/browser/attachment/data/apple_mail_related_attachments.eml",
    ),
    // attachment names
    (
        "name-rfc2231",
        "eml/mikel-mail/spec/fixtures/emails/attachment_emails/attachment_with_quoted_filename.eml",
    ),
    (
        "rfc2231-charset-parameter",
        "eml/cpython-test_email/Lib/test/test_email/data/msg_32.txt",
    ),
    (
        "name-encoded-word",
        "eml/mikel-mail/spec/fixtures/emails/attachment_emails/attachment_with_encoded_name.eml",
    ),
    (
        "name-base64-encoded",
        "eml/mikel-mail/spec/fixtures/emails/attachment_emails/attachment_with_base64_encoded_name.eml",
    ),
    (
        "name-non-ascii",
        "eml/mikel-mail/spec/fixtures/emails/attachment_emails/attachment_nonascii_filename.eml",
    ),
    (
        "name-unquoted",
        "eml/mikel-mail/spec/fixtures/emails/attachment_emails/attachment_with_unquoted_name.eml",
    ),
    (
        "attachment-pdf",
        "eml/mikel-mail/spec/fixtures/emails/attachment_emails/attachment_pdf.eml",
    ),
    (
        "attachment-only",
        "eml/mikel-mail/spec/fixtures/emails/attachment_emails/attachment_only_email.eml",
    ),
    // attached messages, digests, reports
    (
        "rfc822-attachment",
        "eml/mikel-mail/spec/fixtures/emails/attachment_emails/attachment_message_rfc822.eml",
    ),
    (
        "rfc822-base64",
        "eml/comm-central/mail/test/browser/attachment/data/rfc822_base64_attachment.eml",
    ),
    (
        "rfc822-upper-case-type",
        "eml/cpython-test_email/Lib/test/test_email/data/msg_16.txt",
    ),
    (
        "rfc822-nested",
        "eml/stalwart-mail-parser/resources/eml/thirdparty/002.eml",
    ),
    (
        "rfc822-parser-starts-late",
        "eml/stalwart-mail-parser/resources/eml/thirdparty/015.eml",
    ),
    (
        "rfc822-nested-several",
        "eml/comm-central/mail/components/extensions/test/xpcshell/messages/nestedMessages.eml",
    ),
    (
        "digest",
        "eml/cpython-test_email/Lib/test/test_email/data/msg_02.txt",
    ),
    (
        "delivery-report",
        "eml/mikel-mail/spec/fixtures/emails/multipart_report_emails/report_530.eml",
    ),
    // signed, encrypted, calendar
    (
        "smime-signed",
        "eml/cpython-test_email/Lib/test/test_email/data/msg_45.txt",
    ),
    (
        "smime-encrypted",
        "eml/comm-central/mail/test/browser/smime/data/alice.env.eml",
    ),
    (
        "openpgp-encrypted",
        "eml/comm-central/mail/test/browser/openpgp/data/eml/unsigned-encrypted-to-0xf231550c4f47e38e-from-0x3099ff1238852b9f.eml",
    ),
    (
        "openpgp-signed",
        "eml/comm-central/mail/test/browser/openpgp/data/eml/alice-signed.eml",
    ),
    (
        "mime-torture",
        "eml/comm-central/mailnews/test/data/mime-torture",
    ),
    (
        "calendar-invite",
        "eml/comm-central/calendar/test/browser/invitations/data/meet-meeting-invite.eml",
    ),
];

fn golden_dir() -> PathBuf {
    fixtures().join("golden/convert")
}

/// Converts the input as stored, with LF and with CRLF line ends; all three must render as the
/// golden file says.
fn check_golden(name: &str, corpus_path: &str) -> Result<(), String> {
    let input = corpus().join(corpus_path);
    let bytes = fs::read(&input).map_err(|e| format!("{corpus_path}: {e}"))?;
    let golden_path = golden_dir().join(format!("{name}.txt"));
    let failed_path = golden_dir().join(format!("{name}.failed"));
    let header = format!("# golden rendering of tests/corpus/{corpus_path}\n");

    let variants = [
        ("as stored", bytes.clone()),
        ("LF", strip_cr_before_lf(&bytes)),
        ("CRLF", add_cr_before_lf(&bytes)),
    ];
    let renderings: Vec<(&str, String)> = variants
        .iter()
        .map(|(label, bytes)| {
            let raw = raw_message(bytes.clone(), &input);
            (
                *label,
                format!("{header}{}", render(&convert::convert(&raw))),
            )
        })
        .collect();

    if std::env::var_os("MAIL2PST_BLESS").is_some_and(|v| v == "1") {
        fs::create_dir_all(golden_dir()).map_err(|e| e.to_string())?;
        fs::write(&golden_path, &renderings[0].1).map_err(|e| e.to_string())?;
        let _ = fs::remove_file(&failed_path);
    }
    let golden = fs::read_to_string(&golden_path)
        .map_err(|e| format!("{}: {e} (run with MAIL2PST_BLESS=1)", golden_path.display()))?;
    for (label, rendering) in &renderings {
        if *rendering != golden {
            fs::write(&failed_path, rendering).map_err(|e| e.to_string())?;
            return Err(format!(
                "{name} ({label} line ends) differs from {}; see {}",
                golden_path.display(),
                failed_path.display()
            ));
        }
    }
    let _ = fs::remove_file(&failed_path);
    Ok(())
}

#[test]
fn golden_renderings_of_chosen_corpus_messages() {
    let failures: Vec<String> = GOLDEN
        .iter()
        .filter_map(|(name, path)| check_golden(name, path).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_golden_file_belongs_to_a_listed_message() {
    let listed: Vec<String> = GOLDEN.iter().map(|(n, _)| format!("{n}.txt")).collect();
    for entry in fs::read_dir(golden_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".txt") {
            assert!(listed.contains(&name), "{name} is not in GOLDEN");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Every message of the corpus

/// Regular files under a folder, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files
}

/// What must hold for every converted message, embedded ones included.
fn check_invariants(place: &str, m: &pst::Message, problems: &mut Vec<String>) {
    check_line_ends_and_names(place, m, problems);
    if let Some(subject) = &m.subject
        && looks_encoded(subject)
    {
        problems.push(format!("{place}: subject still encoded: {subject}"));
    }
    for (n, a) in m.attachments.iter().enumerate() {
        if let Some(name) = &a.filename
            && looks_encoded(name)
        {
            problems.push(format!("{place}: attachment name still encoded: {name}"));
        }
        if let AttachmentContent::Message(inner) = &a.content {
            check_invariants(&format!("{place} › attachment {n}"), inner, problems);
        }
    }
}

/// The invariants that hold for any input, however broken: CRLF line ends, no bookkeeping
/// fields, every attachment named and typed.
fn check_line_ends_and_names(place: &str, m: &pst::Message, problems: &mut Vec<String>) {
    let crlf_only = |label: &str, text: Option<&str>, problems: &mut Vec<String>| {
        if let Some(text) = text {
            let bytes = text.as_bytes();
            let bare_lf = bytes
                .iter()
                .enumerate()
                .any(|(at, &b)| b == b'\n' && (at == 0 || bytes[at - 1] != b'\r'));
            if bare_lf {
                problems.push(format!("{place}: {label} has a line end without CR"));
            }
        }
    };
    crlf_only("body_text", m.body_text.as_deref(), problems);
    crlf_only("body_html", m.body_html.as_deref(), problems);
    crlf_only(
        "transport_headers",
        m.transport_headers.as_deref(),
        problems,
    );
    if let Some(headers) = &m.transport_headers
        && headers
            .split("\r\n")
            .any(|l| l.to_ascii_lowercase().starts_with("x-mozilla-status"))
    {
        problems.push(format!(
            "{place}: X-Mozilla-Status left in the transport headers"
        ));
    }
    for (n, a) in m.attachments.iter().enumerate() {
        if a.filename.as_deref().is_none_or(str::is_empty) || a.mime_type.is_none() {
            problems.push(format!("{place}: attachment {n} has no name or type"));
        }
        if let AttachmentContent::Message(inner) = &a.content {
            check_line_ends_and_names(&format!("{place} › attachment {n}"), inner, problems);
        }
    }
}

/// An RFC 2047 encoded word whose charset mail-parser knows and whose payload is valid: text
/// that should have been decoded.
fn looks_encoded(text: &str) -> bool {
    text.match_indices("=?").any(|(at, _)| {
        let mut pieces = text[at + 2..].splitn(3, '?');
        let (Some(charset), Some(encoding), Some(rest)) =
            (pieces.next(), pieces.next(), pieces.next())
        else {
            return false;
        };
        let Some(end) = rest.find("?=") else {
            return false;
        };
        let payload = &rest[..end];
        let known = mail_parser::decoders::charsets::map::charset_decoder(charset.as_bytes())
            .is_some()
            || charset.eq_ignore_ascii_case("utf-8");
        let valid = match encoding {
            "B" | "b" => {
                base64::Engine::decode(&base64::engine::general_purpose::STANDARD, payload).is_ok()
            }
            "Q" | "q" => !payload.contains(' '),
            _ => false,
        };
        known && valid
    })
}

#[test]
fn every_corpus_message_converts_and_keeps_the_invariants() {
    let mut problems = Vec::new();
    let mut degraded = Vec::new();
    let mut count = 0;
    let mut convert_one = |label: String, bytes: Vec<u8>| {
        let raw = raw_message(bytes, Path::new(&label));
        let converted = convert::convert(&raw);
        assert_eq!(
            converted,
            convert::convert(&raw),
            "{label}: not deterministic"
        );
        if converted.degraded {
            degraded.push(label.clone());
        }
        check_invariants(&label, &converted.message, &mut problems);
        count += 1;
    };

    let eml = corpus().join("eml");
    let eml_files = files_under(&eml);
    assert_eq!(eml_files.len(), 539, "SOURCES.md counts 539 EML files");
    for path in eml_files {
        let label = path.strip_prefix(corpus()).unwrap().display().to_string();
        convert_one(label, fs::read(&path).unwrap());
    }

    for &(path, expected) in CORPUS_MBOXES {
        let messages = mbox_messages(&corpus().join(path));
        assert_eq!(messages.len() as u64, expected, "{path}");
        for (n, bytes) in messages.into_iter().enumerate() {
            convert_one(format!("{path} #{n}"), bytes);
        }
    }

    assert_eq!(count, 539 + 240);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(degraded, Vec::<String>::new(), "degraded messages");
}

/// Attachments as Python's `email` package sees them (python3 3.11, `message_from_bytes`, every
/// leaf part except inline text/plain and text/html without a file name; attached messages not
/// entered), with the sha256 of `get_payload(decode=True)`; `None` for attached messages and
/// for parts Python does not decode (message/delivery-status).
/// One attachment as Python sees it: MIME type and sha256 of the payload.
type PythonAttachment = (&'static str, Option<&'static str>);

const PYTHON_ATTACHMENTS: &[(&str, &[PythonAttachment])] = &[
    (
        "eml/mikel-mail/spec/fixtures/emails/attachment_emails/attachment_pdf.eml",
        &[(
            "application/pdf",
            Some("c7d1b9b20df8a2bf2f1e0d00d84bcb56d05e56a044be7f3616f6e99f4a18bd0d"),
        )],
    ),
    (
        "eml/comm-central/mailnews/test/data/10-plaintext+(HTML+embedded-image)+attachment.eml",
        &[
            (
                "image/png",
                Some("fe2ad3fd311e72a96df7ca8c6158b2b8e15518d73665b921d4e8e71a793c82ea"),
            ),
            (
                "image/png",
                Some("e9ad657b559d8a6b273593cc7d08b6e2e46495fdc341345fb6eb5ba7ec96d80f"),
            ),
        ],
    ),
    (
        "eml/cpython-test_email/Lib/test/test_email/data/msg_16.txt",
        &[("message/delivery-status", None), ("message/rfc822", None)],
    ),
    (
        "eml/MimeKit/UnitTests/TestData/tnef/ukr.eml",
        &[(
            "application/ms-tnef",
            Some("880bde64ee294e0670d4ef770c6b2e8a126df535ef0ed573292254383fb51ec3"),
        )],
    ),
    (
        "eml/comm-central/mail/test/browser/attachment/data/rfc822_base64_attachment.eml",
        &[("message/rfc822", None)],
    ),
    (
        "eml/mikel-mail/spec/fixtures/emails/attachment_emails/attachment_message_rfc822.eml",
        &[("message/rfc822", None)],
    ),
    (
        "eml/comm-central/mail/test/browser/attachment/data/apple_mail_related_attachments.eml",
        &[
            (
                "text/markdown",
                Some("33c93bbd4ace9203172141cbd9d601cfa6660b3e89eb930aa9c980e03b9f9f8f"),
            ),
            (
                "application/octet-stream",
                Some("7dad7250d580c097eb52669d130ee745245b0c3042cbcea4a9f56fd8df2ac744"),
            ),
            (
                "text/x-python-script",
                Some("db63149bd0e2e4fa2f3446dba3074805e9e84b313fbd73bfa1c11eeaa9a70952"),
            ),
        ],
    ),
    (
        "eml/comm-central/mail/test/browser/smime/data/alice.env.eml",
        &[(
            "application/pkcs7-mime",
            Some("a3f3a78f669465910f81beb196abd46c6a74723873f3d11c700ff56ec78b427d"),
        )],
    ),
    (
        "eml/mikel-mail/spec/fixtures/emails/multi_charset/japanese_attachment_long_name.eml",
        &[(
            "text/plain",
            Some("ce6a091472e812cedb6cbb9a95b003fc110e5b349f6b39a9aee3cab92b379888"),
        )],
    ),
    (
        "eml/cpython-test_email/Lib/test/test_email/data/msg_02.txt",
        &[
            ("message/rfc822", None),
            ("message/rfc822", None),
            ("message/rfc822", None),
            ("message/rfc822", None),
            ("message/rfc822", None),
        ],
    ),
];

#[test]
fn attachments_match_what_python_sees() {
    for (path, expected) in PYTHON_ATTACHMENTS {
        let bytes = fs::read(corpus().join(path)).unwrap();
        let converted = convert::convert(&raw_message(bytes, Path::new(path)));
        let got: Vec<(String, Option<String>)> = converted
            .message
            .attachments
            .iter()
            .map(|a| {
                let hash = match &a.content {
                    AttachmentContent::Data(bytes) => Some(sha256_hex(bytes)),
                    AttachmentContent::Streamed(data) => Some(sha256_hex(&data.to_vec().unwrap())),
                    AttachmentContent::Message(_) => None,
                };
                (a.mime_type.clone().unwrap_or_default(), hash)
            })
            .collect();
        assert_eq!(got.len(), expected.len(), "{path}: attachment count");
        for ((mime, hash), (want_mime, want_hash)) in got.iter().zip(expected.iter()) {
            assert_eq!(mime, want_mime, "{path}");
            if let Some(want) = want_hash {
                assert_eq!(hash.as_deref(), Some(*want), "{path}: bytes of {mime}");
            }
        }
    }
}

#[test]
fn copies_of_a_message_share_a_duplicate_key() {
    let keys = |dir: &str| -> (usize, usize) {
        let files = files_under(&corpus().join(dir));
        let mut keys: Vec<_> = files
            .iter()
            .map(|p| convert::duplicate_key(&raw_message(fs::read(p).unwrap(), p)))
            .collect();
        let found = keys.len();
        keys.sort();
        keys.dedup();
        (found, keys.len())
    };
    // SOURCES.md: 210 files, 176 distinct, 34 byte-identical copies.
    assert_eq!(keys("maildir/notmuch/test/corpora/lkml"), (210, 176));
    // 53 files, 52 distinct (one byte-identical pair).
    assert_eq!(keys("maildir/notmuch/test/corpora/default"), (53, 52));
}

#[test]
fn store_bookkeeping_does_not_change_the_conversion() {
    let path = "eml/comm-central/mailnews/test/data/basic1";
    let plain = fs::read(corpus().join(path)).unwrap();
    let mut thunderbird = b"From - Tue Oct 02 00:26:47 2007\r\nX-Mozilla-Status: 0001\r\nX-Mozilla-Status2: 00000000\r\nX-Mozilla-Keys: $label1\r\n".to_vec();
    thunderbird.extend_from_slice(&plain);
    let one = convert::convert(&raw_message(plain, Path::new(path)));
    let mut raw = raw_message(thunderbird, Path::new(path));
    raw.flags = MessageFlags {
        read: true,
        ..MessageFlags::default()
    };
    let other = convert::convert(&raw);
    assert_eq!(
        one.message.transport_headers,
        other.message.transport_headers
    );
    assert_eq!(one.message.body_text, other.message.body_text);
    assert!(other.message.state.read);
}

#[test]
fn a_file_that_is_not_a_message_is_kept_whole() {
    let bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01".to_vec();
    let converted = convert::convert(&raw_message(bytes.clone(), Path::new("x.eml")));
    assert!(converted.degraded);
    assert_eq!(
        converted.message.subject.as_deref(),
        Some(UNPARSEABLE_SUBJECT)
    );
    assert_eq!(converted.message.attachments.len(), 1);
    assert_eq!(
        converted.message.attachments[0].content,
        AttachmentContent::Data(bytes)
    );
}

mod random_input {
    use proptest::prelude::*;

    use super::*;

    fn header_like() -> impl Strategy<Value = Vec<u8>> {
        let line = prop_oneof![
            "(Subject|From|To|Content-Type|Content-Transfer-Encoding|Content-Disposition|Date): [ -~]{0,40}\r?\n",
            "Content-Type: multipart/(mixed|alternative|related); boundary=b\n",
            "Content-Type: message/rfc822\n",
            "\n",
            "--b(--)?\n",
            "[ -~\t]{0,60}\n",
            "=\\?[a-z0-9-]{1,12}\\?[BbQq]\\?[ -~]{0,20}\\?=\n",
        ];
        (
            prop::collection::vec(line, 0..30),
            prop::collection::vec(any::<u8>(), 0..200),
        )
            .prop_map(|(lines, tail)| {
                let mut bytes: Vec<u8> = lines.concat().into_bytes();
                bytes.extend(tail);
                bytes
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..3000)) {
            let converted = convert::convert(&raw_message(bytes, Path::new("random.eml")));
            if converted.degraded {
                prop_assert_eq!(converted.message.subject.as_deref(), Some(UNPARSEABLE_SUBJECT));
            }
        }

        #[test]
        fn mail_shaped_bytes_never_panic(bytes in header_like()) {
            let converted = convert::convert(&raw_message(bytes, Path::new("random.eml")));
            let mut problems = Vec::new();
            check_line_ends_and_names("random", &converted.message, &mut problems);
            prop_assert!(problems.is_empty(), "{:?}", problems);
        }
    }
}
