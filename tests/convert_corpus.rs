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

use crate::util::{corpus, fixtures};

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
    let header = format!("# golden rendering of ../shared/corpus/{corpus_path}\n");

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
