//! The report as one self-contained HTML page (no scripts, no files it links to), readable in
//! any browser years later.

use std::fmt::Write as _;

use crate::engine::plan::FolderRole;
use crate::engine::text::format_size;

use super::{FolderReport, Report, Status};

const STYLE: &str = "
body { font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2em auto;
       max-width: 70em; padding: 0 1em; color: #1d1d1f; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
.status { font-weight: 600; padding: 0.5em 0.8em; border-radius: 6px; display: inline-block; }
.complete { background: #e3f6e8; } .incomplete { background: #fff4d6; }
.failed { background: #fde2e1; } .cancelled { background: #eee; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0; }
th, td { text-align: left; padding: 0.3em 0.6em; border-bottom: 1px solid #eee;
         vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: 600; border-top: 2px solid #ccc; }
.muted { color: #6e6e73; } .problem { color: #b00020; }
code { font-size: 0.9em; word-break: break-all; }
";

/// The whole page.
pub fn render(report: &Report) -> String {
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>mail2pst report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>mail2pst report</h1>\n<p class=\"muted\">Started {} · took {:.1} s · mail2pst {}</p>\n",
        escape(&report.started),
        report.seconds,
        escape(&report.app_version)
    );
    let class = match report.status {
        Status::Complete => "complete",
        Status::Incomplete => "incomplete",
        Status::Failed => "failed",
        Status::Cancelled => "cancelled",
    };
    let _ = writeln!(
        page,
        "<p class=\"status {class}\">{}</p>",
        escape(&report.status_sentence())
    );
    summary(&mut page, report);
    folders(&mut page, report);
    details(&mut page, report);
    page.push_str("</body>\n</html>\n");
    page
}

fn summary(page: &mut String, report: &Report) {
    let totals = &report.totals;
    let _ = writeln!(
        page,
        "<p>{} found, <strong>{} written</strong>, {} skipped.{}</p>",
        match report.found_by_kind() {
            Some(by_kind) => format!("{} ({by_kind})", report.items(totals.found)),
            None => report.items(totals.found),
        },
        totals.written,
        totals.skipped.total(),
        if totals.deleted > 0 {
            let (copies, were) = if totals.deleted == 1 {
                ("copy", "was")
            } else {
                ("copies", "were")
            };
            format!(
                " {} {copies} the mail client had deleted {were} left out (listed under \
                 Details).",
                totals.deleted
            )
        } else {
            String::new()
        }
    );
    if !report.license.licensed {
        let more = report.more_with_license();
        let _ = writeln!(
            page,
            "<p>Demo mode: at most ten {} per folder were written{}.</p>",
            report.item_words().1,
            if more > 0 {
                format!("; a license would convert {more} more")
            } else {
                String::new()
            }
        );
    } else if let Some(licensee) = &report.license.licensee {
        let _ = writeln!(
            page,
            "<p class=\"muted\">Licensed to {}.</p>",
            escape(licensee)
        );
    }
    if let Some(note) = &report.license.note {
        let _ = writeln!(page, "<p class=\"muted\">{}</p>", escape(note));
    }
    for problem in &report.problems {
        let _ = writeln!(
            page,
            "<p class=\"problem\">Problem: {}</p>",
            escape(problem)
        );
    }
    if !report.outputs.is_empty() {
        page.push_str("<h2>PST files</h2>\n<table>\n<tr><th>File</th><th class=\"n\">Size</th><th class=\"n\">Messages</th></tr>\n");
        for output in &report.outputs {
            let _ = writeln!(
                page,
                "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape(&output.path.display().to_string()),
                format_size(output.bytes),
                output.messages
            );
        }
        page.push_str("</table>\n");
        let _ = writeln!(
            page,
            "<p class=\"muted\">{}</p>",
            if report.verified {
                "Each PST was read back after writing; the numbers below are what it holds."
            } else {
                "The PST was not read back after writing."
            }
        );
    }
    let options = &report.options;
    let range = match (&options.date_from, &options.date_to) {
        (None, None) => "all dates".to_owned(),
        (from, to) => format!(
            "{} to {}",
            from.as_deref().unwrap_or("the beginning"),
            to.as_deref().unwrap_or("the end")
        ),
    };
    let _ = writeln!(
        page,
        "<p class=\"muted\">Options: split at {}, {}, duplicates {}, Trash and Junk {}.</p>",
        format_size(options.split_size),
        escape(&range),
        if options.skip_duplicates {
            "skipped"
        } else {
            "kept"
        },
        if options.include_trash_junk {
            "included"
        } else {
            "left out"
        }
    );
    page.push_str("<h2>Sources</h2>\n<ul>\n");
    for store in &report.stores {
        let _ = write!(
            page,
            "<li>{} <span class=\"muted\">({}, <code>{}</code>)</span>",
            escape(&store.name),
            escape(store.kind.label()),
            escape(&store.root.display().to_string())
        );
        if let Some(error) = &store.error {
            let _ = write!(page, "<br><span class=\"problem\">{}</span>", escape(error));
        }
        for warning in &store.warnings {
            let _ = write!(page, "<br><span class=\"muted\">{}</span>", escape(warning));
        }
        page.push_str("</li>\n");
    }
    page.push_str("</ul>\n");
}

fn folders(page: &mut String, report: &Report) {
    page.push_str(
        "<h2>Folders</h2>\n<table>\n<tr><th>Folder</th><th class=\"n\">Found</th>\
         <th class=\"n\">Written</th><th class=\"n\">Skipped</th><th>Why skipped</th></tr>\n",
    );
    for folder in &report.folders {
        let mut why: Vec<String> = folder
            .skipped
            .labelled()
            .iter()
            .map(|(label, count)| format!("{count} {label}"))
            .collect();
        if let Some(error) = &folder.read_error {
            why.push(format!("read error: {error}"));
        }
        if folder.role == FolderRole::Container {
            why.push("holds only selected subfolders".to_owned());
        }
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td>{}</td></tr>",
            escape(&folder.display_path()),
            folder.found,
            folder.written,
            folder.skipped.total(),
            escape(&why.join("; "))
        );
    }
    let totals = &report.totals;
    let _ = writeln!(
        page,
        "<tr class=\"total\"><td>Total</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
         <td class=\"n\">{}</td><td></td></tr>\n</table>",
        totals.found,
        totals.written,
        totals.skipped.total()
    );
}

fn details(page: &mut String, report: &Report) {
    let listed: Vec<&FolderReport> = report
        .folders
        .iter()
        .filter(|f| {
            !f.skipped_items.is_empty()
                || !f.deleted.is_empty()
                || !f.converted_with_warnings.is_empty()
                || !f.read_back_differences.is_empty()
                || !f.notes.is_empty()
        })
        .collect();
    // The job's own notes (files that are not mail, stores read in part) count on their own.
    if listed.is_empty() && report.notes.is_empty() {
        return;
    }
    page.push_str("<h2>Details</h2>\n");
    for folder in listed {
        let _ = writeln!(page, "<h3>{}</h3>", escape(&folder.display_path()));
        for note in &folder.notes {
            let _ = writeln!(page, "<p class=\"muted\">{}</p>", escape(note));
        }
        if !folder.skipped_items.is_empty() {
            page.push_str("<table>\n<tr><th>Skipped</th><th>Where</th></tr>\n");
            for item in &folder.skipped_items {
                let place = match &item.origin {
                    Some(origin) => origin.to_string(),
                    None if item.count > 1 => format!("{} messages not reached", item.count),
                    None => "a message not reached".to_owned(),
                };
                let _ = writeln!(
                    page,
                    "<tr><td>{}</td><td><code>{}</code></td></tr>",
                    escape(&item.reason.to_string()),
                    escape(&place)
                );
            }
            page.push_str("</table>\n");
        }
        if !folder.read_back_differences.is_empty() {
            page.push_str(
                "<table>\n<tr><th>In the PST, not as an independent reading of the source \
                 sees it</th></tr>\n",
            );
            for difference in &folder.read_back_differences {
                let _ = writeln!(page, "<tr><td>{}</td></tr>", escape(difference));
            }
            page.push_str("</table>\n");
        }
        if !folder.deleted.is_empty() {
            page.push_str(
                "<table>\n<tr><th>Deleted copy left out (not counted as found)</th>\
                 <th>Where</th></tr>\n",
            );
            for copy in &folder.deleted {
                let _ = writeln!(
                    page,
                    "<tr><td>deleted in {}, not yet removed from its files</td>\
                     <td><code>{}</code></td></tr>",
                    escape(&copy.client),
                    escape(&copy.origin.to_string())
                );
            }
            page.push_str("</table>\n");
        }
        if !folder.converted_with_warnings.is_empty() {
            page.push_str("<table>\n<tr><th>Converted with warnings</th><th>Where</th></tr>\n");
            for item in &folder.converted_with_warnings {
                let subject = item.subject.as_deref().unwrap_or("(no subject)");
                let mut text = escape(subject);
                if item.degraded {
                    text.push_str(" <strong>(not a faithful copy)</strong>");
                }
                for warning in &item.warnings {
                    let _ = write!(text, "<br><span class=\"muted\">{}</span>", escape(warning));
                }
                let _ = writeln!(
                    page,
                    "<tr><td>{text}</td><td><code>{}</code></td></tr>",
                    escape(&item.origin.to_string())
                );
            }
            page.push_str("</table>\n");
        }
    }
    for note in &report.notes {
        let _ = writeln!(page, "<p class=\"muted\">{}</p>", escape(note));
    }
}

/// Text as HTML: the five characters that mean markup are escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::plan::{Plan, PlannedFolder, PlannedStore};
    use crate::engine::report::{ConvertedWithWarnings, DeletedCopy, LicenseInfo};
    use crate::engine::spec::Options;
    use crate::model::{FolderPath, Origin, SkipReason, StoreKind};
    use std::path::PathBuf;

    #[test]
    fn markup_in_names_is_escaped() {
        assert_eq!(
            escape("Invoices: 2024? <draft> |* & \"x\" 'y'"),
            "Invoices: 2024? &lt;draft&gt; |* &amp; &quot;x&quot; &#39;y&#39;"
        );
    }

    #[test]
    fn the_page_shows_folders_skips_and_warnings() {
        let plan = Plan {
            stores: vec![PlannedStore {
                name: "MBOX file — <x>.mbox".into(),
                kind: StoreKind::Mbox,
                root: PathBuf::from("x.mbox"),
                warnings: Vec::new(),
                error: None,
            }],
            folders: vec![PlannedFolder {
                store: 0,
                source_path: FolderPath::new(["<x>"]),
                parent: None,
                name: "<x>".into(),
                pst_path: vec!["<x>".into()],
                count: 12,
                role: FolderRole::Convert,
                notes: Vec::new(),
                kind: crate::model::FolderKind::Mail,
            }],
        };
        let license = LicenseInfo {
            licensed: false,
            licensee: None,
            note: None,
        };
        let mut report = Report::for_plan(&plan, &Options::default(), license, "now".into());
        let folder = &mut report.folders[0];
        folder.found = 12;
        folder.written = 10;
        folder.skipped.add(&SkipReason::DemoLimit, 2);
        folder.converted_with_warnings.push(ConvertedWithWarnings {
            origin: Origin::FileOffset {
                path: PathBuf::from("x.mbox"),
                offset: 7,
            },
            subject: Some("Hello <b>".into()),
            degraded: true,
            warnings: vec!["bad charset".into()],
        });
        folder.deleted.push(DeletedCopy {
            origin: Origin::FileOffset {
                path: PathBuf::from("x.mbox"),
                offset: 99,
            },
            client: "Thunderbird".into(),
        });
        report.finalize(false);
        let page = render(&report);
        assert!(page.contains(
            "12 messages found, <strong>10 written</strong>, 2 skipped. 1 copy the mail client \
             had deleted was left out (listed under Details).</p>"
        ));
        assert!(page.contains("deleted in Thunderbird, not yet removed from its files"));
        assert!(page.contains("x.mbox at byte 99"));
        assert!(page.contains("1 deleted copy left out, as Thunderbird shows it"));
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("<td>&lt;x&gt;</td><td class=\"n\">12</td><td class=\"n\">10</td>"));
        assert!(page.contains("a license would convert 2 more"));
        assert!(page.contains("Hello &lt;b&gt; <strong>(not a faithful copy)</strong>"));
        assert!(page.contains("x.mbox at byte 7"));
        assert!(!page.contains("<script"));

        // The job's notes show when no folder has details too.
        let mut quiet = Report::for_plan(&plan, &Options::default(), report.license, "now".into());
        quiet.folders[0].found = 12;
        quiet.folders[0].written = 12;
        quiet
            .notes
            .push("3 files that are not mail were left out: a.json".into());
        quiet.finalize(false);
        let page = render(&quiet);
        assert!(
            page.contains("3 files that are not mail were left out: a.json"),
            "{page}"
        );
    }
}
