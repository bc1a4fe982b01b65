//! Reading a PST back and comparing it with the independent reading of the sources
//! (`crate::reading`, which shares no code with the converter): the job's read-back after
//! writing, and `verify --against`, which matches every message of the sources with the PST and
//! names the fields that differ. Neither compares with what our converter made: a check built on
//! the code it checks cannot find that code's defects. The PST is read by [`outlook`], the one
//! module that knows Microsoft's `outlook-pst` crate, a reader independent of our writer.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead as _, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::convert;
use crate::model::{
    ContentHash, ContentHasher, FolderKind, Found, IndependentReading, Origin, RawMessage,
    TextDigest,
};
use crate::pst;
use crate::reading;

use super::error::Error;
use super::output::OutputPaths;
use super::plan::{FolderRole, Plan};
use super::progress::{CancelToken, Event};
use super::spec::{Options, Source, StoreSelection};

mod outlook;
mod streamed;

pub(crate) use self::outlook::PstMessages;
pub use self::outlook::folder_counts;
use self::outlook::{pst_facts, unreadable_message};

/// Messages listed per folder and kind of difference; the counts are always complete.
const LISTED_PER_FOLDER: usize = 50;

/// Messages of one folder, by the path of names below "Top of Personal Folders".
pub type FolderCounts = BTreeMap<Vec<String>, u64>;

/// A PST folder's path for messages.
fn display(path: &[String]) -> String {
    if path.is_empty() {
        "the top folder".to_owned()
    } else {
        path.join(" › ")
    }
}

/// What is compared of a message: for the source as the independent reading sees it, for the
/// PST as outlook-pst reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Facts {
    /// White space collapsed.
    subject: Option<String>,
    /// `"name <address>"`, the address lower-cased.
    sender: Option<String>,
    /// When it was sent, Unix seconds.
    date: Option<i64>,
    message_id: Option<String>,
    /// The plain body (see [`reading::text_digest`]). The source's only when it has a plain body
    /// of its own: one the converter made from HTML is not compared.
    body: Option<TextDigest>,
    /// The HTML body, as stored in UTF-8 (see [`reading::as_utf8_html`]).
    html: Option<TextDigest>,
    /// Sorted.
    attachments: Vec<AttachmentFacts>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
struct AttachmentFacts {
    embedded: bool,
    size: u64,
    hash: ContentHash,
    name: Option<String>,
    /// The reader could not give the attachment's name (see [`outlook::unreadable_attachment`]), so the
    /// name is not compared.
    name_unknown: bool,
}

impl AttachmentFacts {
    fn describe(&self) -> String {
        let name = self.name.as_deref().unwrap_or("(no name)");
        if self.embedded {
            format!("{name} (attached message)")
        } else {
            format!("{name} ({} bytes)", self.size)
        }
    }
}

fn sender_text(name: Option<&str>, email: Option<&str>) -> Option<String> {
    let email = email
        .map(|e| e.trim().to_lowercase())
        .filter(|e| !e.is_empty());
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    match (name, email) {
        (None, None) => None,
        (Some(name), None) => Some(name.to_owned()),
        (None, Some(email)) => Some(format!("<{email}>")),
        (Some(name), Some(email)) if name.to_lowercase() == email => Some(format!("<{email}>")),
        (Some(name), Some(email)) => Some(format!("{name} <{email}>")),
    }
}

/// The content hash of an attachment kept in a file, read a buffer at a time (zeros when it
/// cannot be read: it then differs from what the PST holds).
fn streamed_hash(data: &pst::StreamedData) -> ContentHash {
    ContentHasher::of_reader(data.reader()).map_or([0; 16], |(_, hash)| hash)
}

impl Facts {
    /// The facts of a message as the converter made it for the PST. Only for a large message
    /// ([`RawMessage::large`]): its parts wait on disk, and the independent reading would need
    /// it whole in memory, so it is checked against what was written, attachments by their
    /// bytes as streamed.
    pub(crate) fn of_message(message: &pst::Message) -> Facts {
        let mut attachments: Vec<AttachmentFacts> = message
            .attachments
            .iter()
            .map(|a| match &a.content {
                pst::AttachmentContent::Data(bytes) => AttachmentFacts {
                    embedded: false,
                    size: bytes.len() as u64,
                    hash: crate::model::content_hash(bytes),
                    name: a.filename.clone(),
                    name_unknown: false,
                },
                pst::AttachmentContent::Streamed(data) => AttachmentFacts {
                    embedded: false,
                    size: data.len(),
                    hash: streamed_hash(data),
                    name: a.filename.clone(),
                    name_unknown: false,
                },
                pst::AttachmentContent::Message(_) => AttachmentFacts {
                    embedded: true,
                    name: a.filename.clone(),
                    ..AttachmentFacts::default()
                },
            })
            .collect();
        attachments.sort();
        Facts {
            subject: message.subject.clone(),
            sender: message
                .from
                .as_ref()
                .and_then(|a| sender_text(a.name.as_deref(), Some(&a.email))),
            date: message.submit_time.map(pst::FileTime::to_unix),
            message_id: message.internet_message_id.clone(),
            body: message.body_text.as_deref().and_then(reading::text_digest),
            html: message.body_html.as_deref().and_then(reading::text_digest),
            attachments,
        }
    }

    /// The facts of a source message as the independent reading saw it.
    pub(crate) fn of_reading(reading: &IndependentReading) -> Facts {
        let mut attachments: Vec<AttachmentFacts> = reading
            .attachments
            .iter()
            .map(|part| {
                if part.embedded {
                    AttachmentFacts {
                        embedded: true,
                        name: part.name.clone(),
                        ..AttachmentFacts::default()
                    }
                } else {
                    AttachmentFacts {
                        embedded: false,
                        size: part.size,
                        hash: part.hash,
                        name: part.name.clone(),
                        name_unknown: false,
                    }
                }
            })
            .collect();
        attachments.sort();
        Facts {
            subject: reading.subject.clone(),
            sender: reading
                .from
                .as_ref()
                .and_then(|(name, email)| sender_text(name.as_deref(), Some(email))),
            date: reading.date,
            message_id: reading.message_id.clone(),
            body: reading.text_body,
            html: reading.html_body,
            attachments,
        }
    }

    fn describe(&self) -> String {
        let subject = self.subject.as_deref().unwrap_or("(no subject)");
        match &self.message_id {
            Some(id) => format!("{subject:?} {id}"),
            None => format!("{subject:?}"),
        }
    }
}

/// One field that differs between the source and the PST.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldDifference {
    pub field: &'static str,
    pub source: String,
    pub pst: String,
}

/// A message found in both, with the fields that differ.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MessageDifference {
    /// Subject and Message-ID of the source message.
    pub message: String,
    /// Where it is in the source.
    pub origin: String,
    pub fields: Vec<FieldDifference>,
}

/// One folder compared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FolderComparison {
    pub pst_path: Vec<String>,
    /// Messages the source holds (to be converted).
    pub in_source: u64,
    /// Items the source itself marks as not mail to convert (deleted, not downloaded, …).
    pub skipped_in_source: u64,
    pub in_pst: u64,
    /// Source messages not in the PST.
    pub missing: u64,
    /// PST messages matching no source message.
    pub extra: u64,
    pub differing: u64,
    /// The first missing messages, extra messages and differences (up to 50 of each).
    pub missing_messages: Vec<String>,
    pub extra_messages: Vec<String>,
    pub differences: Vec<MessageDifference>,
    /// Why the folder could not be read completely, in the source or the PST.
    pub errors: Vec<String>,
}

impl FolderComparison {
    fn new(pst_path: Vec<String>) -> FolderComparison {
        FolderComparison {
            pst_path,
            in_source: 0,
            skipped_in_source: 0,
            in_pst: 0,
            missing: 0,
            extra: 0,
            differing: 0,
            missing_messages: Vec::new(),
            extra_messages: Vec::new(),
            differences: Vec::new(),
            errors: Vec::new(),
        }
    }

    pub fn is_match(&self) -> bool {
        self.missing == 0 && self.extra == 0 && self.differing == 0 && self.errors.is_empty()
    }

    /// Every difference as a line a person reads, one per message: errors, missing and extra
    /// messages, and the fields that differ with what each side holds; then how many more were
    /// not listed.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = self.errors.clone();
        for message in &self.missing_messages {
            lines.push(format!("missing from the PST: {message}"));
        }
        for message in &self.extra_messages {
            lines.push(format!("not in the source: {message}"));
        }
        for difference in &self.differences {
            let fields: Vec<String> = difference
                .fields
                .iter()
                .map(|f| {
                    format!(
                        "{} differs (the source has {}, the PST {})",
                        f.field, f.source, f.pst
                    )
                })
                .collect();
            lines.push(format!(
                "{} ({}): {}",
                difference.message,
                difference.origin,
                fields.join("; ")
            ));
        }
        let listed = (self.missing_messages.len()
            + self.extra_messages.len()
            + self.differences.len()) as u64;
        let total = self.missing + self.extra + self.differing;
        if total > listed {
            lines.push(format!("{} more messages differ", total - listed));
        }
        lines
    }
}

/// The result of `verify --against`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Comparison {
    #[serde(serialize_with = "crate::model::path_json::list::serialize")]
    pub pst_files: Vec<PathBuf>,
    pub folders: Vec<FolderComparison>,
}

impl Comparison {
    /// True when every message of the sources is in the PST, unchanged, and nothing else is.
    pub fn is_match(&self) -> bool {
        self.folders.iter().all(FolderComparison::is_match)
    }

    /// One line per folder, then the differences.
    pub fn summary_table(&self) -> String {
        use std::fmt::Write as _;
        let mut rows = vec![[
            "Folder".to_owned(),
            "Source".to_owned(),
            "PST".to_owned(),
            "Missing".to_owned(),
            "Extra".to_owned(),
            "Differ".to_owned(),
        ]];
        for folder in &self.folders {
            rows.push([
                display(&folder.pst_path),
                folder.in_source.to_string(),
                folder.in_pst.to_string(),
                folder.missing.to_string(),
                folder.extra.to_string(),
                folder.differing.to_string(),
            ]);
        }
        let mut widths = [0usize; 6];
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for row in &rows {
            let mut line = String::new();
            for (index, (cell, width)) in row.iter().zip(widths).enumerate() {
                let pad = " ".repeat(width.saturating_sub(cell.chars().count()));
                if index == 0 {
                    let _ = write!(line, "{cell}{pad}");
                } else {
                    let _ = write!(line, "  {pad}{cell}");
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        for folder in &self.folders {
            let place = display(&folder.pst_path);
            for error in &folder.errors {
                let _ = writeln!(out, "{place}: {error}");
            }
            for message in &folder.missing_messages {
                let _ = writeln!(out, "{place}: missing from the PST: {message}");
            }
            for message in &folder.extra_messages {
                let _ = writeln!(out, "{place}: not in the source: {message}");
            }
            for difference in &folder.differences {
                for field in &difference.fields {
                    let _ = writeln!(
                        out,
                        "{place}: {} ({}): {} differs: source {:?}, PST {:?}",
                        difference.message, difference.origin, field.field, field.source, field.pst
                    );
                }
            }
        }
        out
    }
}

/// The PST files of a job: `out.pst` and the split parts `out-2.pst`, … that follow it.
pub fn pst_parts(first: &Path) -> Vec<PathBuf> {
    let paths = OutputPaths::new(first);
    let mut parts = vec![first.to_path_buf()];
    let mut index = 2;
    while paths.part(index).is_file() {
        parts.push(paths.part(index));
        index += 1;
    }
    parts
}

/// Compares the PST `pst` (with its split parts) with `sources`, folder by folder, as a job
/// converting every folder of the sources in this order would have laid them out. Messages are
/// matched by Message-ID, then by subject and date; for each pair the subject, sender, date,
/// plain body and attachments are compared. Unlimited: demo mode does not apply.
pub fn compare(
    pst: &Path,
    sources: &[Source],
    cancel: &CancelToken,
    on_event: &mut dyn FnMut(Event),
) -> Result<Comparison, Error> {
    let parts = pst_parts(pst);
    let mut in_pst: BTreeMap<Vec<String>, Vec<Facts>> = BTreeMap::new();
    let mut unreadable: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
    for part in &parts {
        on_event(Event::Verifying { path: part.clone() });
        let read_back = |reason| Error::ReadBack {
            path: part.clone(),
            reason,
        };
        if !part.is_file() {
            return Err(Error::Source(crate::sources::Error::NotFound {
                path: part.clone(),
            }));
        }
        for (path, facts, errors) in pst_facts(part).map_err(read_back)? {
            unreadable.entry(path.clone()).or_default().extend(errors);
            in_pst.entry(path).or_default().extend(facts);
        }
    }
    let selections: Vec<StoreSelection> =
        sources.iter().cloned().map(StoreSelection::all).collect();
    let plan = Plan::build(&selections, &Options::default());
    let mut comparisons = Vec::new();
    for planned in &plan.folders {
        if cancel.is_cancelled() {
            break;
        }
        let mut comparison = FolderComparison::new(planned.pst_path.clone());
        let pst_messages = in_pst.remove(&planned.pst_path).unwrap_or_default();
        comparison.errors = unreadable.remove(&planned.pst_path).unwrap_or_default();
        comparison.in_pst = (pst_messages.len() + comparison.errors.len()) as u64;
        if planned.role == FolderRole::Convert
            && planned.kind != FolderKind::Mail
            && let Some(selection) = selections.get(planned.store)
        {
            // Contacts, events and tasks are compared by count: the reading of mail that
            // pairs messages does not apply to them.
            match selection.source.store().messages(&planned.source_path) {
                Ok(items) => {
                    for item in items {
                        match item {
                            Ok(Found::Message(_)) => comparison.in_source += 1,
                            Ok(Found::Skipped { .. }) => comparison.skipped_in_source += 1,
                            Err(error) => {
                                comparison.errors.push(format!("source: {error}"));
                                break;
                            }
                        }
                    }
                }
                Err(error) => comparison.errors.push(format!("source: {error}")),
            }
            comparison.missing = comparison.in_source.saturating_sub(comparison.in_pst);
            comparison.extra = comparison.in_pst.saturating_sub(comparison.in_source);
        } else if planned.role == FolderRole::Convert
            && let Some(selection) = selections.get(planned.store)
        {
            let source = selection.source.store();
            let mut matcher = Matcher::new(pst_messages);
            match source.messages(&planned.source_path) {
                Ok(items) => {
                    let mut batch = Vec::new();
                    for item in items {
                        if cancel.is_cancelled() {
                            break;
                        }
                        match item {
                            Ok(Found::Message(raw)) => batch.push(raw),
                            Ok(Found::Skipped { .. }) => comparison.skipped_in_source += 1,
                            Err(error) => {
                                comparison.errors.push(format!("source: {error}"));
                                break;
                            }
                        }
                        if batch.len() >= 256 {
                            matcher.compare_batch(std::mem::take(&mut batch), &mut comparison);
                        }
                    }
                    matcher.compare_batch(batch, &mut comparison);
                }
                Err(error) => comparison.errors.push(format!("source: {error}")),
            }
            matcher.finish(&mut comparison);
        } else {
            comparison.extra = comparison.in_pst;
        }
        comparisons.push(comparison);
    }
    // Folders of the PST that no source folder maps to.
    for (path, messages) in in_pst {
        let errors = unreadable.remove(&path).unwrap_or_default();
        if messages.is_empty() && errors.is_empty() {
            continue;
        }
        let mut comparison = FolderComparison::new(path);
        comparison.in_pst = (messages.len() + errors.len()) as u64;
        comparison.errors = errors;
        comparison.extra = comparison.in_pst;
        comparison.extra_messages = messages
            .iter()
            .take(LISTED_PER_FOLDER)
            .map(Facts::describe)
            .collect();
        comparisons.push(comparison);
    }
    Ok(Comparison {
        pst_files: parts,
        folders: comparisons,
    })
}

/// What a job expects to read back: per plan folder, the facts of every message it wrote as the
/// independent reading saw them, and where each came from. They wait in an unnamed temporary
/// file, a line of JSON each, so that the job's memory does not grow with the mailbox; of a
/// folder's lines, only where each run of them starts stays in memory (a folder's messages are
/// written one after another, so a run is most often the whole folder). Where that file cannot
/// be made or written, they stay in memory.
#[derive(Debug, Default)]
pub(crate) struct Expected {
    folders: Vec<FolderFacts>,
    spill: Option<BufWriter<File>>,
    /// The spill refused a line: it takes no more, and keeps what it took.
    refused: bool,
    /// Bytes written to the spill so far.
    spilled: u64,
}

/// One folder's facts, in the order they were written.
#[derive(Debug, Default)]
struct FolderFacts {
    segments: Vec<Segment>,
    /// Where the folder's last line in the spill ends.
    end: Option<u64>,
}

/// Facts of one or more messages of a folder, one after another.
#[derive(Debug)]
enum Segment {
    /// `count` lines of the spill from `at`.
    Spilled { at: u64, count: u64 },
    /// A message's facts the spill did not take.
    Kept(Box<(Facts, String)>),
}

impl Expected {
    /// Expectations for `folders` plan folders, spilled to a file in `dir`.
    pub(crate) fn new(folders: usize, dir: &Path) -> Expected {
        Expected {
            folders: (0..folders).map(|_| FolderFacts::default()).collect(),
            spill: tempfile::tempfile_in(dir).ok().map(BufWriter::new),
            refused: false,
            spilled: 0,
        }
    }

    pub(crate) fn push(&mut self, folder: usize, facts: Facts, origin: &Origin) {
        let origin = origin.to_string();
        let spilled = self.spill(&facts, &origin);
        let Some(messages) = self.folders.get_mut(folder) else {
            return;
        };
        match (spilled, messages.segments.last_mut()) {
            (Some((at, len)), Some(Segment::Spilled { count, .. })) if messages.end == Some(at) => {
                *count += 1;
                messages.end = Some(at + len);
            }
            (Some((at, len)), _) => {
                messages.segments.push(Segment::Spilled { at, count: 1 });
                messages.end = Some(at + len);
            }
            (None, _) => messages
                .segments
                .push(Segment::Kept(Box::new((facts, origin)))),
        }
    }

    /// Writes a line of the facts to the spill; where it starts and its length.
    fn spill(&mut self, facts: &Facts, origin: &str) -> Option<(u64, u64)> {
        let spill = self.spill.as_mut().filter(|_| !self.refused)?;
        let mut line = serde_json::to_vec(&(facts, origin)).ok()?;
        line.push(b'\n');
        if spill.write_all(&line).is_err() {
            // A disk that refuses the spill: the rest stays in memory.
            self.refused = true;
            return None;
        }
        let at = self.spilled;
        self.spilled += line.len() as u64;
        Some((at, line.len() as u64))
    }

    /// Reads the spill back: the file, positioned anywhere.
    fn into_reader(self) -> (Vec<FolderFacts>, Option<BufReader<File>>) {
        let reader = self
            .spill
            .and_then(|spill| spill.into_inner().ok())
            .map(BufReader::new);
        (self.folders, reader)
    }
}

impl FolderFacts {
    /// The facts in the order they were written.
    fn reader(self) -> FolderReader {
        FolderReader {
            segments: self.segments.into_iter(),
            run: None,
        }
    }
}

/// One folder's facts, read back in the order they were written.
struct FolderReader {
    segments: std::vec::IntoIter<Segment>,
    /// In the run of spilled lines being read: where the next line starts, and how many are
    /// left.
    run: Option<(u64, u64)>,
}

impl FolderReader {
    fn next(&mut self, spill: &mut SpillReader) -> Option<Result<(Facts, String), String>> {
        loop {
            if let Some((at, left)) = self.run.take()
                && left > 0
            {
                return Some(spill.line(at).map(|(facts, len)| {
                    self.run = Some((at + len, left - 1));
                    facts
                }));
            }
            match self.segments.next()? {
                Segment::Kept(kept) => return Some(Ok(*kept)),
                Segment::Spilled { at, count } => self.run = Some((at, count)),
            }
        }
    }
}

/// Reads spilled facts back, in the order they were written when they are asked for in it.
struct SpillReader {
    file: Option<BufReader<File>>,
    position: Option<u64>,
}

impl SpillReader {
    /// The facts of the line at `at`, and the line's length.
    fn line(&mut self, at: u64) -> Result<((Facts, String), u64), String> {
        let failed = |e: &dyn std::fmt::Display| {
            format!("the facts kept for the read-back cannot be read back: {e}")
        };
        let file = self.file.as_mut().ok_or_else(|| failed(&"no file"))?;
        if self.position != Some(at) {
            file.seek(SeekFrom::Start(at)).map_err(|e| failed(&e))?;
        }
        let mut line = Vec::new();
        let len = file.read_until(b'\n', &mut line).map_err(|e| failed(&e))? as u64;
        self.position = Some(at + len);
        let facts = serde_json::from_slice(&line).map_err(|e| failed(&e))?;
        Ok((facts, len))
    }
}

/// The job's read-back: every message of the PST files `listed`, read with outlook-pst, compared
/// with what the independent reading saw in the messages written. One comparison per plan
/// folder, in plan order (`None` for folders not in the PST).
///
/// The job wrote each folder's messages in order, so the PST's n-th message of a folder is
/// compared with the n-th written as it is read: memory does not grow with the mailbox.
/// Messages that do not pair so (a difference, a message missing or unreadable) are paired at
/// the end of the folder as [`compare`] pairs them.
pub(crate) fn read_back(
    listed: &[PstMessages],
    plan: &Plan,
    expected: Expected,
    cancel: &CancelToken,
) -> Result<Vec<Option<FolderComparison>>, String> {
    let (folders, file) = expected.into_reader();
    let mut spill = SpillReader {
        file,
        position: None,
    };
    let mut expected = folders.into_iter();
    let mut comparisons = Vec::with_capacity(plan.folders.len());
    for planned in &plan.folders {
        let written = expected.next().unwrap_or_default();
        if !planned.in_pst() {
            comparisons.push(None);
            continue;
        }
        let mail = planned.kind == FolderKind::Mail;
        let mut comparison = FolderComparison::new(planned.pst_path.clone());
        let mut written = written.reader();
        let mut pst_left: Vec<Facts> = Vec::new();
        let mut source_left: Vec<(Facts, String)> = Vec::new();
        let mut cancelled = false;
        for pst in listed {
            let nodes = pst.of_folder(&planned.pst_path);
            let read = pst.each_facts(nodes, |node, read| {
                if cancel.is_cancelled() {
                    cancelled = true;
                    return Err("cancelled".to_owned());
                }
                comparison.in_pst += 1;
                let source = match (mail, written.next(&mut spill)) {
                    (true, Some(facts)) => Some(facts?),
                    _ => None,
                };
                let in_pst = match read {
                    Ok(facts) => facts,
                    Err(error) => {
                        comparison.errors.push(unreadable_message(node, &error));
                        source_left.extend(source);
                        return Ok(());
                    }
                };
                if !mail {
                    // Contacts, events and tasks: their number is checked with every
                    // folder's.
                    comparison.in_source += 1;
                    return Ok(());
                }
                match source {
                    Some((source, _))
                        if source.message_id == in_pst.message_id
                            && differences(&source, &in_pst).is_empty() =>
                    {
                        comparison.in_source += 1;
                    }
                    source => {
                        source_left.extend(source);
                        pst_left.push(in_pst);
                    }
                }
                Ok(())
            });
            if cancelled {
                return Ok(Vec::new());
            }
            read?;
        }
        if mail {
            while let Some(facts) = written.next(&mut spill) {
                source_left.push(facts?);
            }
            let mut matcher = Matcher::new(pst_left);
            matcher.compare_facts(source_left, &mut comparison);
            matcher.finish(&mut comparison);
        }
        comparisons.push(Some(comparison));
    }
    Ok(comparisons)
}

/// Pairs source messages with the PST messages of one folder.
#[derive(Debug)]
struct Matcher {
    pst: Vec<Facts>,
    used: Vec<bool>,
    by_id: HashMap<String, Vec<usize>>,
    by_subject_date: HashMap<(Option<String>, Option<i64>), Vec<usize>>,
    /// For a message whose date the two readings see differently.
    by_subject: HashMap<Option<String>, Vec<usize>>,
}

impl Matcher {
    fn new(pst: Vec<Facts>) -> Matcher {
        let mut by_id: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_subject_date: HashMap<(Option<String>, Option<i64>), Vec<usize>> =
            HashMap::new();
        let mut by_subject: HashMap<Option<String>, Vec<usize>> = HashMap::new();
        for (index, facts) in pst.iter().enumerate() {
            if let Some(id) = &facts.message_id {
                by_id.entry(id.clone()).or_default().push(index);
            }
            by_subject_date
                .entry((facts.subject.clone(), facts.date))
                .or_default()
                .push(index);
            by_subject
                .entry(facts.subject.clone())
                .or_default()
                .push(index);
        }
        Matcher {
            used: vec![false; pst.len()],
            pst,
            by_id,
            by_subject_date,
            by_subject,
        }
    }

    /// The first unused candidate that reads like `source` (copies of a message share their
    /// Message-ID), else the first unused one.
    fn take(&mut self, candidates: Option<&Vec<usize>>, source: &Facts) -> Option<usize> {
        let unused: Vec<usize> = candidates?
            .iter()
            .copied()
            .filter(|i| !self.used.get(*i).copied().unwrap_or(true))
            .collect();
        let found = unused
            .iter()
            .copied()
            .find(|&i| {
                self.pst
                    .get(i)
                    .is_some_and(|pst| differences(source, pst).is_empty())
            })
            .or_else(|| unused.first().copied())?;
        if let Some(used) = self.used.get_mut(found) {
            *used = true;
        }
        Some(found)
    }

    fn compare_batch(&mut self, batch: Vec<RawMessage>, comparison: &mut FolderComparison) {
        let facts: Vec<(Facts, String)> = batch
            .par_iter()
            .map(|raw| {
                let facts = match raw.large {
                    Some(_) => Facts::of_message(&convert::convert(raw).message),
                    None => Facts::of_reading(&reading::read_digests(&raw.bytes)),
                };
                (facts, raw.origin.to_string())
            })
            .collect();
        self.compare_facts(facts, comparison);
    }

    /// Pairs each source message with a PST message and notes what differs.
    fn compare_facts(&mut self, facts: Vec<(Facts, String)>, comparison: &mut FolderComparison) {
        for (source, origin) in facts {
            comparison.in_source += 1;
            let by_id = source
                .message_id
                .as_ref()
                .and_then(|id| self.by_id.get(id))
                .cloned();
            let found = self
                .take(by_id.as_ref(), &source)
                .or_else(|| {
                    let key = (source.subject.clone(), source.date);
                    let candidates = self.by_subject_date.get(&key).cloned();
                    self.take(candidates.as_ref(), &source)
                })
                .or_else(|| {
                    let candidates = self.by_subject.get(&source.subject).cloned();
                    self.take(candidates.as_ref(), &source)
                });
            let Some(found) = found else {
                comparison.missing += 1;
                if comparison.missing_messages.len() < LISTED_PER_FOLDER {
                    comparison
                        .missing_messages
                        .push(format!("{} ({origin})", source.describe()));
                }
                continue;
            };
            let Some(pst) = self.pst.get(found) else {
                continue;
            };
            let fields = differences(&source, pst);
            if !fields.is_empty() {
                comparison.differing += 1;
                if comparison.differences.len() < LISTED_PER_FOLDER {
                    comparison.differences.push(MessageDifference {
                        message: source.describe(),
                        origin,
                        fields,
                    });
                }
            }
        }
    }

    fn finish(self, comparison: &mut FolderComparison) {
        for (facts, used) in self.pst.iter().zip(&self.used) {
            if !used {
                comparison.extra += 1;
                if comparison.extra_messages.len() < LISTED_PER_FOLDER {
                    comparison.extra_messages.push(facts.describe());
                }
            }
        }
    }
}

fn differences(source: &Facts, pst: &Facts) -> Vec<FieldDifference> {
    let mut fields = Vec::new();
    let show = |value: &Option<String>| value.clone().unwrap_or_else(|| "(none)".to_owned());
    if source.subject != pst.subject && !truncated_subject(source, pst) {
        fields.push(FieldDifference {
            field: "subject",
            source: show(&source.subject),
            pst: show(&pst.subject),
        });
    }
    if !same_sender(source.sender.as_deref(), pst.sender.as_deref()) {
        fields.push(FieldDifference {
            field: "sender",
            source: show(&source.sender),
            pst: show(&pst.sender),
        });
    }
    if source.date != pst.date {
        let date = |d: Option<i64>| {
            d.and_then(|s| chrono::DateTime::from_timestamp(s, 0))
                .map_or_else(|| "(none)".to_owned(), |t| t.to_rfc3339())
        };
        fields.push(FieldDifference {
            field: "date",
            source: date(source.date),
            pst: date(pst.date),
        });
    }
    let digest = |b: &Option<TextDigest>| {
        b.map_or_else(
            || "(none)".to_owned(),
            |d| format!("{} characters", d.chars),
        )
    };
    // A plain body the converter made from the HTML has nothing in the source to compare with.
    if source.body.is_some() && source.body != pst.body {
        fields.push(FieldDifference {
            field: "body",
            source: digest(&source.body),
            pst: digest(&pst.body),
        });
    }
    if source.html != pst.html {
        fields.push(FieldDifference {
            field: "html body",
            source: digest(&source.html),
            pst: digest(&pst.html),
        });
    }
    if !same_attachments(&source.attachments, &pst.attachments) {
        let list = |a: &[AttachmentFacts]| {
            if a.is_empty() {
                "(none)".to_owned()
            } else {
                a.iter()
                    .map(AttachmentFacts::describe)
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        fields.push(FieldDifference {
            field: "attachments",
            source: list(&source.attachments),
            pst: list(&pst.attachments),
        });
    }
    fields
}

/// Senders match when their addresses do and, where both have a display name, the names read
/// alike (quotes, letter case and runs of white space aside): two parsers of the same field may
/// take a comment for the name or not.
fn same_sender(source: Option<&str>, pst: Option<&str>) -> bool {
    fn split(sender: &str) -> (Option<String>, Option<&str>) {
        match sender
            .rsplit_once(" <")
            .or_else(|| sender.strip_prefix('<').map(|a| ("", a)))
        {
            Some((name, address)) => {
                let name: String = name
                    .chars()
                    .filter(|c| !matches!(c, '"' | '\\'))
                    .collect::<String>()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .to_lowercase();
                (
                    (!name.is_empty()).then_some(name),
                    address.strip_suffix('>'),
                )
            }
            None => (Some(sender.to_lowercase()), None),
        }
    }
    match (source, pst) {
        (None, None) => true,
        (Some(source), Some(pst)) => {
            let (source_name, source_address) = split(source);
            let (pst_name, pst_address) = split(pst);
            source_address == pst_address
                && match (source_name, pst_name) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                }
        }
        _ => false,
    }
}

/// The PST keeps at most [`pst::messaging::subject::MAX_SUBJECT_UNITS`] UTF-16 units of a
/// subject; a longer one is cut, which is not a difference.
fn truncated_subject(source: &Facts, pst: &Facts) -> bool {
    match (&source.subject, &pst.subject) {
        (Some(source), Some(pst)) => {
            pst.encode_utf16().count()
                >= pst::messaging::subject::MAX_SUBJECT_UNITS.saturating_sub(2)
                && source.starts_with(pst.as_str())
        }
        _ => false,
    }
}

/// Attachments match when their contents match; names are compared where the source has one
/// (the writer may give a nameless attachment a name) and the reader could give it. Named
/// source attachments are paired first, so that a nameless copy of the same bytes does not take
/// the named one's place.
fn same_attachments(source: &[AttachmentFacts], pst: &[AttachmentFacts]) -> bool {
    if source.len() != pst.len() {
        return false;
    }
    let key = |a: &AttachmentFacts| (a.embedded, a.size, a.hash);
    let mut left: Vec<&AttachmentFacts> = pst.iter().collect();
    let (named, nameless): (Vec<&AttachmentFacts>, Vec<&AttachmentFacts>) =
        source.iter().partition(|a| a.name.is_some());
    for wanted in named {
        let Some(at) = left
            .iter()
            .position(|p| key(p) == key(wanted) && (p.name_unknown || p.name == wanted.name))
        else {
            return false;
        };
        left.remove(at);
    }
    for wanted in nameless {
        let Some(at) = left.iter().position(|p| key(p) == key(wanted)) else {
            return false;
        };
        left.remove(at);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::outlook::strip_subject_marker;
    use super::*;

    /// Each folder's facts come back in the order they were written, whether the folders'
    /// messages came one folder after another or mixed, with subjects of lines of any length,
    /// and after the spill stopped taking them (a full disk).
    #[test]
    fn expected_facts_come_back_per_folder_in_the_order_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut expected = Expected::new(3, dir.path());
        let origin = |n: usize| Origin::FileOffset {
            path: PathBuf::from("mail.mbox"),
            offset: n as u64,
        };
        let pushed = [0, 0, 0, 1, 0, 1, 1, 0, 2, 0];
        for (n, folder) in pushed.into_iter().enumerate() {
            if n == 8 {
                // The disk refuses the spill: the rest stays in memory.
                expected.refused = true;
            }
            let facts = Facts {
                subject: Some(format!("{folder}: {}", "x".repeat(n * 37))),
                ..Facts::default()
            };
            expected.push(folder, facts, &origin(n));
        }
        assert_eq!(
            expected.folders[0].segments.len(),
            4,
            "{:?}",
            expected.folders[0]
        );
        let (folders, file) = expected.into_reader();
        let mut spill = SpillReader {
            file,
            position: None,
        };
        for (folder, facts) in folders.into_iter().enumerate() {
            let mut reader = facts.reader();
            let mut read = Vec::new();
            while let Some(facts) = reader.next(&mut spill) {
                read.push(facts.unwrap());
            }
            let wanted: Vec<(Facts, String)> = pushed
                .iter()
                .enumerate()
                .filter(|(_, f)| **f == folder)
                .map(|(n, _)| {
                    let facts = Facts {
                        subject: Some(format!("{folder}: {}", "x".repeat(n * 37))),
                        ..Facts::default()
                    };
                    (facts, origin(n).to_string())
                })
                .collect();
            assert_eq!(read, wanted, "folder {folder}");
        }
    }

    #[test]
    fn senders_compare_by_lower_cased_address() {
        assert_eq!(
            sender_text(Some("Ann"), Some("Ann@Example.com")),
            Some("Ann <ann@example.com>".into())
        );
        assert_eq!(
            sender_text(Some("ann@example.com"), Some("ANN@example.com")),
            Some("<ann@example.com>".into())
        );
        assert_eq!(sender_text(None, Some(" ")), None);
        assert_eq!(sender_text(Some("Ann"), None), Some("Ann".into()));
        assert!(same_sender(Some("<a@x>"), Some("\"John  X.\" Doe <a@x>")));
        assert!(same_sender(
            Some("john x. doe <a@x>"),
            Some("\"John  X.\" Doe <a@x>")
        ));
        assert!(!same_sender(Some("Ann <a@x>"), Some("Bob <a@x>")));
        assert!(!same_sender(Some("<a@x>"), Some("<b@x>")));
        assert!(!same_sender(None, Some("<b@x>")));
    }

    #[test]
    fn bodies_compare_without_line_end_and_surrounding_space_differences() {
        use reading::text_digest;
        assert_eq!(text_digest("\r\n a\r\nb\r\n\r\n"), text_digest("a\nb"));
        assert_ne!(text_digest("a\nb"), text_digest("a\nc"));
        assert_eq!(text_digest(" \r\n"), None);
    }

    #[test]
    fn subject_markers_are_removed() {
        assert_eq!(strip_subject_marker("\u{1}\u{4}RE: x".into()), "RE: x");
        assert_eq!(strip_subject_marker("plain".into()), "plain");
    }

    #[test]
    fn attachments_match_by_content_and_source_names() {
        let attachment = |name: Option<&str>, byte: u8| AttachmentFacts {
            embedded: false,
            size: 1,
            hash: [byte; 16],
            name: name.map(str::to_owned),
            name_unknown: false,
        };
        assert!(same_attachments(
            &[attachment(Some("a"), 1), attachment(None, 2)],
            &[attachment(Some("x"), 2), attachment(Some("a"), 1)]
        ));
        assert!(!same_attachments(
            &[attachment(Some("a"), 1)],
            &[attachment(Some("b"), 1)]
        ));
        assert!(!same_attachments(
            &[attachment(None, 1)],
            &[attachment(None, 2)]
        ));
        assert!(!same_attachments(&[], &[attachment(None, 2)]));
    }

    #[test]
    fn messages_pair_by_message_id_first_then_subject_and_date() {
        let facts = |subject: &str, id: Option<&str>, date| Facts {
            subject: Some(subject.into()),
            message_id: id.map(str::to_owned),
            date: Some(date),
            ..Facts::default()
        };
        let mut matcher = Matcher::new(vec![
            facts("one", Some("<1@x>"), 10),
            facts("two", None, 20),
            facts("extra", None, 30),
        ]);
        let ids = matcher.by_id.get("<1@x>").cloned();
        let one = facts("one", Some("<1@x>"), 10);
        assert_eq!(matcher.take(ids.as_ref(), &one), Some(0));
        assert_eq!(matcher.take(ids.as_ref(), &one), None);
        let key = (Some("two".to_owned()), Some(20));
        let by_subject = matcher.by_subject_date.get(&key).cloned();
        assert_eq!(
            matcher.take(by_subject.as_ref(), &facts("two", None, 20)),
            Some(1)
        );
        let mut comparison = FolderComparison::new(vec!["f".into()]);
        matcher.finish(&mut comparison);
        assert_eq!(comparison.extra, 1);
        assert_eq!(comparison.extra_messages, vec!["\"extra\"".to_owned()]);
    }

    #[test]
    fn differing_fields_are_named() {
        let source = Facts {
            subject: Some("Hello".into()),
            sender: Some("<a@x>".into()),
            date: Some(0),
            body: reading::text_digest("text"),
            ..Facts::default()
        };
        let mut pst = source.clone();
        assert!(differences(&source, &pst).is_empty());
        pst.subject = Some("Hallo".into());
        pst.date = Some(60);
        let fields: Vec<&str> = differences(&source, &pst).iter().map(|f| f.field).collect();
        assert_eq!(fields, vec!["subject", "date"]);
    }
}
