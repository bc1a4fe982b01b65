//! A reader for Mork 1.4, the text database Thunderbird and Postbox keep their `.msf` mail
//! summaries in (no Rust crate reads it). Mork is a log: dictionaries give short hex aliases to
//! column names and values, rows hold cells, tables hold rows, and `@$${n{@ … @$$}n}@` groups
//! append later changes (new rows, cut rows, replaced cells). Reading applies the whole log and
//! keeps the end state.
//!
//! The grammar follows Thunderbird's own parser (`mailnews/db/mork/morkParser.cpp`): values are
//! resolved when a cell is read (a later redefinition of an alias does not change earlier cells),
//! a group that is never closed is ignored (Thunderbird may be writing it right now), and any
//! other syntax error makes the whole file unusable, as it does for Thunderbird.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

/// Why a Mork file could not be read: what was expected and the byte offset where it went wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("Mork syntax error at byte {offset}: {what}")]
pub struct MorkError {
    pub offset: usize,
    pub what: String,
}

/// The scope and id of a row or table. Scopes are names such as
/// `ns:msg:db:row:scope:msgs:all`, or one-letter scopes such as `m`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Oid {
    pub scope: Arc<str>,
    pub id: u64,
}

/// One row: its cells by column name. Values are bytes (Thunderbird writes UTF-8).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    cells: BTreeMap<Arc<str>, Arc<[u8]>>,
}

impl Row {
    /// The value of a column, if the row has it.
    pub fn get(&self, column: &str) -> Option<&[u8]> {
        self.cells.get(column).map(|value| &**value)
    }

    /// The value of a column as text (lossy UTF-8), if the row has it.
    pub fn text(&self, column: &str) -> Option<String> {
        self.get(column)
            .map(|value| String::from_utf8_lossy(value).into_owned())
    }

    /// The value of a column read as a hexadecimal number, as Thunderbird stores its integers.
    pub fn hex(&self, column: &str) -> Option<u64> {
        let text = std::str::from_utf8(self.get(column)?).ok()?;
        u64::from_str_radix(text.trim(), 16).ok()
    }

    /// The columns this row has, sorted by name.
    pub fn columns(&self) -> impl Iterator<Item = &str> {
        self.cells.keys().map(|column| &**column)
    }
}

/// A table: a kind (e.g. `ns:msg:db:table:kind:msgs`) and rows in order.
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub kind: Option<Arc<str>>,
    /// Rows by insertion sequence, so that cutting a row is cheap and order is kept.
    order: BTreeMap<u64, Oid>,
    position: HashMap<Oid, u64>,
    next_seq: u64,
}

impl Table {
    fn add(&mut self, row: Oid) {
        if self.position.contains_key(&row) {
            return;
        }
        self.order.insert(self.next_seq, row.clone());
        self.position.insert(row, self.next_seq);
        self.next_seq += 1;
    }

    fn cut(&mut self, row: &Oid) {
        if let Some(seq) = self.position.remove(row) {
            self.order.remove(&seq);
        }
    }

    fn cut_all(&mut self) {
        self.order.clear();
        self.position.clear();
    }

    /// The rows of the table, in the order they were added.
    pub fn row_ids(&self) -> impl Iterator<Item = &Oid> {
        self.order.values()
    }

    /// How many rows the table holds.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True when the table holds no row.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// A whole Mork file after every change in it was applied.
#[derive(Clone, Debug, Default)]
pub struct MorkDb {
    tables: BTreeMap<Oid, Table>,
    rows: HashMap<Oid, Row>,
}

impl MorkDb {
    /// Reads a whole Mork file. Never panics; a malformed file is an error.
    pub fn parse(bytes: &[u8]) -> Result<MorkDb, MorkError> {
        let mut parser = Parser::new(bytes, None);
        parser.parse_port()?;
        Ok(parser.db)
    }

    /// Reads a Mork file keeping only the row cells whose column `keep` accepts. Values are
    /// decoded only for those cells, so a large summary costs little memory beyond its bytes.
    pub fn parse_columns(bytes: &[u8], keep: &dyn Fn(&str) -> bool) -> Result<MorkDb, MorkError> {
        let mut parser = Parser::new(bytes, Some(keep));
        parser.parse_port()?;
        Ok(parser.db)
    }

    /// The first table (by id) in `scope` whose kind is `kind`.
    pub fn table(&self, scope: &str, kind: &str) -> Option<&Table> {
        self.tables
            .iter()
            .find(|(oid, table)| &*oid.scope == scope && table.kind.as_deref() == Some(kind))
            .map(|(_, table)| table)
    }

    /// Every table with its id.
    pub fn tables(&self) -> impl Iterator<Item = (&Oid, &Table)> {
        self.tables.iter()
    }

    /// A row by its id.
    pub fn row(&self, oid: &Oid) -> Option<&Row> {
        self.rows.get(oid)
    }

    /// The rows of a table, with their ids, in table order. Rows listed in a table but never
    /// given cells come out empty.
    pub fn table_rows<'a>(&'a self, table: &'a Table) -> impl Iterator<Item = (&'a Oid, &'a Row)> {
        static EMPTY: Row = Row {
            cells: BTreeMap::new(),
        };
        table
            .row_ids()
            .map(move |oid| (oid, self.rows.get(oid).unwrap_or(&EMPTY)))
    }
}

/// A reference to a scope in a mid (`1:m`, `1:^80`).
#[derive(Clone, Debug)]
enum ScopeRef {
    Name(String),
    Alias(u64),
}

/// An object id as written: hex id and optional scope.
#[derive(Clone, Debug)]
struct Mid {
    id: u64,
    scope: Option<ScopeRef>,
}

/// A cell's value before it is decoded: where its escaped text is in the input, or bytes.
#[derive(Clone, Debug)]
enum CellValue {
    Span(usize, usize),
    Bytes(Arc<[u8]>),
}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
    db: MorkDb,
    /// Column-scope aliases (`< <(a=c)> (80=subject) >`).
    columns: HashMap<u64, Arc<str>>,
    /// Atom-scope aliases: where each value's escaped text is in the input (decoded only when
    /// a kept cell uses it).
    atoms: HashMap<u64, (usize, usize)>,
    /// Which row columns to keep; all when None.
    keep: Option<&'a dyn Fn(&str) -> bool>,
}

impl fmt::Debug for Parser<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parser").field("pos", &self.pos).finish()
    }
}

fn is_hex(byte: u8) -> bool {
    byte.is_ascii_hexdigit()
}

fn is_name_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_' || byte == b':'
}

fn is_name_more(byte: u8) -> bool {
    is_name_start(byte) || byte.is_ascii_digit() || matches!(byte, b'!' | b'+' | b'-' | b'?')
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Undoes the escapes of a value's text: `\` + line break (a continuation), `\x` (the byte
/// x), `$XX` (a byte in hex; a `$` not followed by two hex digits is kept).
fn unescape(raw: &[u8]) -> Vec<u8> {
    let mut value = Vec::with_capacity(raw.len());
    let mut index = 0;
    while let Some(&byte) = raw.get(index) {
        index += 1;
        match byte {
            b'\\' => match raw.get(index) {
                Some(&first @ (b'\r' | b'\n')) => {
                    index += 1;
                    if let Some(&second) = raw.get(index)
                        && (second == b'\r' || second == b'\n')
                        && second != first
                    {
                        index += 1;
                    }
                }
                Some(&escaped) => {
                    index += 1;
                    value.push(escaped);
                }
                None => {}
            },
            b'$' => match (
                raw.get(index).copied().and_then(hex_value),
                raw.get(index + 1).copied().and_then(hex_value),
            ) {
                (Some(high), Some(low)) => {
                    index += 2;
                    value.push((high << 4) | low);
                }
                _ => value.push(b'$'),
            },
            _ => value.push(byte),
        }
    }
    value
}

impl<'a> Parser<'a> {
    fn new(input: &'a [u8], keep: Option<&'a dyn Fn(&str) -> bool>) -> Self {
        Parser {
            input,
            pos: 0,
            db: MorkDb::default(),
            columns: HashMap::new(),
            atoms: HashMap::new(),
            keep,
        }
    }

    fn keeps(&self, column: &str) -> bool {
        self.keep.is_none_or(|keep| keep(column))
    }

    fn resolve(&self, value: CellValue) -> Arc<[u8]> {
        match value {
            CellValue::Span(start, end) => {
                Arc::from(unescape(self.input.get(start..end).unwrap_or_default()))
            }
            CellValue::Bytes(bytes) => bytes,
        }
    }

    fn error(&self, what: impl Into<String>) -> MorkError {
        MorkError {
            offset: self.pos,
            what: what.into(),
        }
    }

    fn peek_raw(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let byte = self.peek_raw()?;
        self.pos += 1;
        Some(byte)
    }

    /// Skips one line break of any convention (LF, CR, CRLF, LFCR); the byte at `pos` must be
    /// CR or LF.
    fn eat_line_break(&mut self) {
        let Some(first) = self.bump() else { return };
        if let Some(second) = self.peek_raw()
            && (second == b'\n' || second == b'\r')
            && second != first
        {
            self.pos += 1;
        }
    }

    /// Skips white space, line breaks, comments and line continuations; returns the next
    /// significant byte without consuming it.
    fn peek(&mut self) -> Result<Option<u8>, MorkError> {
        loop {
            let Some(byte) = self.peek_raw() else {
                return Ok(None);
            };
            match byte {
                b' ' | b'\t' | 0x0B | 0x0C => self.pos += 1,
                b'\r' | b'\n' => self.eat_line_break(),
                b'\\' => {
                    self.pos += 1;
                    match self.peek_raw() {
                        Some(b'\r' | b'\n') => self.eat_line_break(),
                        _ => return Err(self.error("expected a line break after '\\'")),
                    }
                }
                b'/' => self.skip_comment()?,
                _ => return Ok(Some(byte)),
            }
        }
    }

    /// The next significant byte, consumed.
    fn next(&mut self) -> Result<Option<u8>, MorkError> {
        let byte = self.peek()?;
        if byte.is_some() {
            self.pos += 1;
        }
        Ok(byte)
    }

    fn expect(&mut self, wanted: u8) -> Result<(), MorkError> {
        match self.next()? {
            Some(byte) if byte == wanted => Ok(()),
            Some(byte) => Err(self.error(format!(
                "expected '{}', found '{}'",
                wanted as char,
                byte.escape_ascii()
            ))),
            None => Err(self.error(format!("expected '{}', found the end", wanted as char))),
        }
    }

    fn skip_comment(&mut self) -> Result<(), MorkError> {
        // At '/'.
        self.pos += 1;
        match self.bump() {
            Some(b'/') => {
                while let Some(byte) = self.peek_raw() {
                    if byte == b'\r' || byte == b'\n' {
                        break;
                    }
                    self.pos += 1;
                }
                Ok(())
            }
            Some(b'*') => {
                let mut depth = 1usize;
                while depth > 0 {
                    match self.bump() {
                        None => return Err(self.error("end of file inside a comment")),
                        Some(b'*') if self.peek_raw() == Some(b'/') => {
                            self.pos += 1;
                            depth -= 1;
                        }
                        Some(b'/') if self.peek_raw() == Some(b'*') => {
                            self.pos += 1;
                            depth += 1;
                        }
                        Some(_) => {}
                    }
                }
                Ok(())
            }
            _ => Err(self.error("expected '/' or '*' after '/'")),
        }
    }

    fn read_hex(&mut self) -> Result<u64, MorkError> {
        match self.peek()? {
            Some(byte) if is_hex(byte) => {}
            Some(byte) => {
                return Err(self.error(format!(
                    "expected a hex digit, found '{}'",
                    byte.escape_ascii()
                )));
            }
            None => return Err(self.error("expected a hex digit, found the end")),
        }
        let mut value: u64 = 0;
        let mut digits = 0;
        while let Some(digit) = self.peek_raw().and_then(hex_value) {
            digits += 1;
            if digits > 16 {
                return Err(self.error("hex id longer than 16 digits"));
            }
            value = (value << 4) | u64::from(digit);
            self.pos += 1;
        }
        Ok(value)
    }

    fn read_name(&mut self) -> Result<String, MorkError> {
        let start = self.pos;
        match self.peek_raw() {
            Some(byte) if is_name_start(byte) => self.pos += 1,
            _ => return Err(self.error("expected a name")),
        }
        while self.peek_raw().is_some_and(is_name_more) {
            self.pos += 1;
        }
        let name = &self.input[start..self.pos];
        Ok(String::from_utf8_lossy(name).into_owned())
    }

    /// `id`, `id:name` or `id:^hex`.
    fn read_mid(&mut self) -> Result<Mid, MorkError> {
        let id = self.read_hex()?;
        if self.peek_raw() != Some(b':') {
            return Ok(Mid { id, scope: None });
        }
        self.pos += 1;
        let scope = match self.peek_raw() {
            Some(b'^') => {
                self.pos += 1;
                ScopeRef::Alias(self.read_hex()?)
            }
            Some(byte) if is_name_start(byte) => ScopeRef::Name(self.read_name()?),
            _ => return Err(self.error("expected a name or '^' after ':'")),
        };
        Ok(Mid {
            id,
            scope: Some(scope),
        })
    }

    /// Finds the end of a value: returns where its escaped text starts and ends, and consumes
    /// it and the closing ')'.
    fn scan_value(&mut self) -> Result<(usize, usize), MorkError> {
        let start = self.pos;
        loop {
            let Some(byte) = self.bump() else {
                return Err(self.error("end of file inside a value"));
            };
            match byte {
                b')' => return Ok((start, self.pos - 1)),
                // The escaped byte cannot end the value.
                b'\\' if self.bump().is_none() => {
                    return Err(self.error("end of file after '\\'"));
                }
                _ => {}
            }
        }
    }

    /// A value up to the closing ')', decoded. The ')' is consumed.
    fn read_value(&mut self) -> Result<Vec<u8>, MorkError> {
        let (start, end) = self.scan_value()?;
        Ok(unescape(self.input.get(start..end).unwrap_or_default()))
    }

    /// The name a scope reference stands for.
    fn scope_name(&self, scope: &ScopeRef) -> Arc<str> {
        match scope {
            ScopeRef::Name(name) => Arc::from(name.as_str()),
            ScopeRef::Alias(id) => self.column_name(*id),
        }
    }

    /// A column alias's name. Ids below 0x80 stand for the one-byte name with that code; an
    /// unknown alias keeps its hex form so that it cannot collide with a real name.
    fn column_name(&self, id: u64) -> Arc<str> {
        if let Some(name) = self.columns.get(&id) {
            return name.clone();
        }
        match u8::try_from(id) {
            Ok(byte) if byte < 0x80 => Arc::from((byte as char).to_string().as_str()),
            _ => Arc::from(format!("^{id:X}").as_str()),
        }
    }

    fn atom(&self, mid: &Mid) -> CellValue {
        let in_column_scope = match &mid.scope {
            Some(ScopeRef::Name(name)) => name == "c",
            Some(ScopeRef::Alias(id)) => *id == u64::from(b'c'),
            None => false,
        };
        if in_column_scope {
            let name = self.column_name(mid.id);
            return CellValue::Bytes(Arc::from(name.as_bytes()));
        }
        if let Some(&(start, end)) = self.atoms.get(&mid.id) {
            return CellValue::Span(start, end);
        }
        match u8::try_from(mid.id) {
            Ok(byte) if byte < 0x80 => CellValue::Bytes(Arc::from(vec![byte])),
            // Thunderbird leaves the cell without a value when the alias is unknown.
            _ => CellValue::Bytes(Arc::from(Vec::new())),
        }
    }

    /// The whole file: dictionaries, rows, tables and groups at the top level.
    fn parse_port(&mut self) -> Result<(), MorkError> {
        while let Some(byte) = self.peek()? {
            match byte {
                b'@' => {
                    if !self.read_group()? {
                        // An unfinished group: Thunderbird ignores it and everything after.
                        return Ok(());
                    }
                }
                _ => self.read_content_item()?,
            }
        }
        Ok(())
    }

    /// One dictionary, row or table.
    fn read_content_item(&mut self) -> Result<(), MorkError> {
        match self.next()? {
            Some(b'<') => self.read_dict(),
            Some(b'[') => self.read_row(None).map(drop),
            Some(b'{') => self.read_table(),
            Some(byte) => Err(self.error(format!("unexpected byte '{}'", byte.escape_ascii()))),
            None => Ok(()),
        }
    }

    /// `@$${id{@ … @$$}id}@`. Returns false when the group never ends (the rest of the file is
    /// then ignored). An aborted group (`@$$}~~}@`) is skipped.
    fn read_group(&mut self) -> Result<bool, MorkError> {
        // At '@'.
        self.pos += 1;
        if self.input.get(self.pos..self.pos + 3) != Some(b"$${") {
            return Err(self.error("expected '$${' after '@'"));
        }
        self.pos += 3;
        let id = self.read_hex()?;
        if self.input.get(self.pos..self.pos + 2) != Some(b"{@") {
            return Err(self.error("expected '{@' after the group id"));
        }
        self.pos += 2;
        let content_start = self.pos;
        let Some(end) = find(&self.input[content_start..], b"@$$}").map(|at| content_start + at)
        else {
            return Ok(false);
        };
        let after_marker = end + 4;
        if self.input.get(after_marker..after_marker + 4) == Some(b"~~}@") {
            self.pos = after_marker + 4;
            return Ok(true);
        }
        // Parse the content, which must stop exactly at the end marker.
        self.pos = content_start;
        let mut limited = Parser {
            input: &self.input[..end],
            pos: content_start,
            db: std::mem::take(&mut self.db),
            columns: std::mem::take(&mut self.columns),
            atoms: std::mem::take(&mut self.atoms),
            keep: self.keep,
        };
        let result = limited.parse_group_content();
        self.db = limited.db;
        self.columns = limited.columns;
        self.atoms = limited.atoms;
        if let Err(mut error) = result {
            error.offset = error.offset.min(end);
            return Err(error);
        }
        self.pos = after_marker;
        let end_id = self.read_hex()?;
        if end_id != id {
            return Err(self.error(format!("group {id:X} ends with the id of group {end_id:X}")));
        }
        if self.input.get(self.pos..self.pos + 2) != Some(b"}@") {
            return Err(self.error("expected '}@' at the end of a group"));
        }
        self.pos += 2;
        Ok(true)
    }

    fn parse_group_content(&mut self) -> Result<(), MorkError> {
        while let Some(byte) = self.peek()? {
            if byte == b'@' {
                return Err(self.error("a group inside a group"));
            }
            self.read_content_item()?;
        }
        Ok(())
    }

    /// `< <(a=c)> (80=value) … >`. At the byte after '<'.
    fn read_dict(&mut self) -> Result<(), MorkError> {
        let mut column_scope = false;
        loop {
            match self.next()? {
                Some(b'>') => return Ok(()),
                Some(b'<') => column_scope = self.read_dict_meta()?,
                Some(b'(') => {
                    let id = self.read_hex()?;
                    self.expect(b'=')?;
                    if column_scope {
                        let value = self.read_value()?;
                        let name = String::from_utf8_lossy(&value).into_owned();
                        self.columns.insert(id, Arc::from(name.as_str()));
                    } else {
                        let span = self.scan_value()?;
                        self.atoms.insert(id, span);
                    }
                }
                Some(byte) => {
                    return Err(self.error(format!(
                        "unexpected byte '{}' in a dictionary",
                        byte.escape_ascii()
                    )));
                }
                None => return Err(self.error("end of file inside a dictionary")),
            }
        }
    }

    /// `<(a=c)>` inside a dictionary: returns true when the dictionary defines column names.
    fn read_dict_meta(&mut self) -> Result<bool, MorkError> {
        let mut column_scope = false;
        loop {
            match self.next()? {
                Some(b'>') => return Ok(column_scope),
                Some(b'(') => {
                    let (column, value) = self.read_cell()?;
                    if &*column == "a" {
                        column_scope = &*self.resolve(value) == b"c";
                    }
                }
                Some(byte) => {
                    return Err(self.error(format!(
                        "unexpected byte '{}' in a dictionary's meta",
                        byte.escape_ascii()
                    )));
                }
                None => return Err(self.error("end of file inside a dictionary's meta")),
            }
        }
    }

    /// One cell after its '(': the column name and the (not yet decoded) value. The ')' is
    /// consumed.
    fn read_cell(&mut self) -> Result<(Arc<str>, CellValue), MorkError> {
        let column = match self.peek_raw() {
            Some(b'^') => {
                self.pos += 1;
                let mid = self.read_mid()?;
                self.column_name(mid.id)
            }
            _ => Arc::from(self.read_name()?.as_str()),
        };
        match self.next()? {
            Some(b'=') => {
                let (start, end) = self.scan_value()?;
                Ok((column, CellValue::Span(start, end)))
            }
            Some(b'^') => {
                let mid = self.read_mid()?;
                self.expect(b')')?;
                Ok((column, self.atom(&mid)))
            }
            Some(byte) => Err(self.error(format!(
                "unexpected byte '{}' in a cell",
                byte.escape_ascii()
            ))),
            None => Err(self.error("end of file inside a cell")),
        }
    }

    /// `{id:scope {meta} rows… }`. At the byte after '{'.
    fn read_table(&mut self) -> Result<(), MorkError> {
        let cut_all = if self.peek()? == Some(b'-') {
            self.pos += 1;
            true
        } else {
            false
        };
        let mid = self.read_mid()?;
        let scope = match &mid.scope {
            Some(scope) => self.scope_name(scope),
            None => Arc::from(""),
        };
        let oid = Oid {
            scope: scope.clone(),
            id: mid.id,
        };
        let table = self.db.tables.entry(oid.clone()).or_default();
        if cut_all {
            table.cut_all();
        }
        let mut cut_next = false;
        loop {
            match self.peek()? {
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'{') => {
                    self.pos += 1;
                    self.read_table_meta(&oid)?;
                }
                Some(b'-') => {
                    self.pos += 1;
                    cut_next = true;
                }
                Some(b'[') => {
                    self.pos += 1;
                    let row = self.read_row(Some(&scope))?;
                    self.place_row(&oid, row, cut_next);
                    cut_next = false;
                }
                Some(byte) if is_hex(byte) => {
                    let row = self.read_row_ref(&scope)?;
                    self.place_row(&oid, row, cut_next);
                    cut_next = false;
                }
                Some(byte) => {
                    return Err(self.error(format!(
                        "unexpected byte '{}' in a table",
                        byte.escape_ascii()
                    )));
                }
                None => return Err(self.error("end of file inside a table")),
            }
        }
    }

    fn place_row(&mut self, table: &Oid, row: Oid, cut: bool) {
        let Some(table) = self.db.tables.get_mut(table) else {
            return;
        };
        if cut {
            table.cut(&row);
        } else {
            table.add(row);
        }
    }

    /// A bare row id inside a table (`2`, `3:m`), optionally followed by `!pos`.
    fn read_row_ref(&mut self, table_scope: &Arc<str>) -> Result<Oid, MorkError> {
        let mid = self.read_mid()?;
        let scope = match &mid.scope {
            Some(scope) => self.scope_name(scope),
            None => table_scope.clone(),
        };
        self.skip_row_position()?;
        Ok(Oid { scope, id: mid.id })
    }

    /// `!hex` after a row moves it inside its table; the order of rows does not matter to us.
    fn skip_row_position(&mut self) -> Result<(), MorkError> {
        if self.peek()? == Some(b'!') {
            self.pos += 1;
            self.read_hex()?;
        }
        Ok(())
    }

    /// `{(k^96:c)(s=9) 1:m}` inside a table: the kind, the status and a meta row.
    fn read_table_meta(&mut self, table: &Oid) -> Result<(), MorkError> {
        loop {
            match self.peek()? {
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'(') => {
                    self.pos += 1;
                    let (column, value) = self.read_cell()?;
                    if &*column == "k" {
                        let value = self.resolve(value);
                        if let Some(table) = self.db.tables.get_mut(table) {
                            let kind = String::from_utf8_lossy(&value).into_owned();
                            table.kind = Some(Arc::from(kind.as_str()));
                        }
                    }
                }
                Some(b'[') => {
                    self.pos += 1;
                    self.read_row(Some(&table.scope.clone()))?;
                }
                Some(byte) if is_hex(byte) => {
                    self.read_row_ref(&table.scope.clone())?;
                }
                Some(byte) => {
                    return Err(self.error(format!(
                        "unexpected byte '{}' in a table's meta",
                        byte.escape_ascii()
                    )));
                }
                None => return Err(self.error("end of file inside a table's meta")),
            }
        }
    }

    /// `[-? id:scope (cells)… ]`. At the byte after '['. Returns the row's id; a row without a
    /// scope takes the scope of the table it is written in.
    fn read_row(&mut self, table_scope: Option<&Arc<str>>) -> Result<Oid, MorkError> {
        let cut_all_cells = if self.peek()? == Some(b'-') {
            self.pos += 1;
            true
        } else {
            false
        };
        let mid = self.read_mid()?;
        let scope = match (&mid.scope, table_scope) {
            (Some(scope), _) => self.scope_name(scope),
            (None, Some(scope)) => scope.clone(),
            (None, None) => Arc::from(""),
        };
        let oid = Oid { scope, id: mid.id };
        let row = self.db.rows.entry(oid.clone()).or_default();
        if cut_all_cells {
            row.cells.clear();
        }
        let mut cut_next = false;
        loop {
            match self.next()? {
                Some(b']') => break,
                Some(b'(') => {
                    let (column, value) = self.read_cell()?;
                    if cut_next {
                        if let Some(row) = self.db.rows.get_mut(&oid) {
                            row.cells.remove(&column);
                        }
                    } else if self.keeps(&column) {
                        let value = self.resolve(value);
                        if let Some(row) = self.db.rows.get_mut(&oid) {
                            row.cells.insert(column, value);
                        }
                    }
                    cut_next = false;
                }
                Some(b'-') => cut_next = true,
                Some(b'[') => self.read_row_meta()?,
                Some(byte) => {
                    return Err(self.error(format!(
                        "unexpected byte '{}' in a row",
                        byte.escape_ascii()
                    )));
                }
                None => return Err(self.error("end of file inside a row")),
            }
        }
        self.skip_row_position()?;
        Ok(oid)
    }

    /// `[cells]` inside a row: meta data we do not need.
    fn read_row_meta(&mut self) -> Result<(), MorkError> {
        loop {
            match self.next()? {
                Some(b']') => return Ok(()),
                Some(b'(') => {
                    self.read_cell()?;
                }
                Some(byte) => {
                    return Err(self.error(format!(
                        "unexpected byte '{}' in a row's meta",
                        byte.escape_ascii()
                    )));
                }
                None => return Err(self.error("end of file inside a row's meta")),
            }
        }
    }
}

/// The first position of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    fn corpus(path: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/corpus")
            .join(path)
    }

    fn parse_file(path: &str) -> MorkDb {
        let bytes = std::fs::read(corpus(path)).unwrap();
        MorkDb::parse(&bytes).unwrap()
    }

    const MSGS: (&str, &str) = ("ns:msg:db:row:scope:msgs:all", "ns:msg:db:table:kind:msgs");

    fn message_rows(db: &MorkDb) -> Vec<(u64, &Row)> {
        let table = db.table(MSGS.0, MSGS.1).unwrap();
        db.table_rows(table)
            .map(|(oid, row)| (oid.id, row))
            .collect()
    }

    #[test]
    fn love_msf_first_message_id() {
        // Thunderbird's test_MorkParser.js: row 1 of the messages table.
        let db = parse_file("thunderbird/comm-central/mailnews/test/data/love.msf");
        let rows = message_rows(&db);
        let (id, row) = rows[0];
        assert_eq!(id, 1);
        assert_eq!(
            row.text("message-id").as_deref(),
            Some("fe06cac4-18ed-43aa-98a9-ee358e82b368@example.com")
        );
    }

    #[test]
    fn parse_columns_keeps_only_the_columns_asked_for() {
        let bytes = std::fs::read(corpus(
            "thunderbird/comm-central/mailnews/test/data/love.msf",
        ))
        .unwrap();
        let full = MorkDb::parse(&bytes).unwrap();
        let lean = MorkDb::parse_columns(&bytes, &|column| column == "message-id").unwrap();
        let (_, full_row) = message_rows(&full)[0];
        let (_, lean_row) = message_rows(&lean)[0];
        assert!(full_row.columns().count() > 5);
        assert_eq!(lean_row.columns().collect::<Vec<_>>(), vec!["message-id"]);
        assert_eq!(lean_row.get("message-id"), full_row.get("message-id"));
    }

    #[test]
    fn withjson_msf_message_and_folder_record() {
        let db = parse_file("thunderbird/comm-central/mailnews/test/data/withjson.msf");
        let rows = message_rows(&db);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, 0x43);
        assert_eq!(
            rows[0].1.text("message-id").as_deref(),
            Some("ex.sqlite@example")
        );
        let info = db
            .table(
                "ns:msg:db:row:scope:dbfolderinfo:all",
                "ns:msg:db:table:kind:dbfolderinfo",
            )
            .unwrap();
        let (_, folder) = db.table_rows(info).next().unwrap();
        assert_eq!(
            folder.text("mailboxName").as_deref(),
            Some("INBOX.Templates")
        );
        // A JSON value continued over many lines with `\` and with an escaped ')'.
        let json = folder.text("columnStates").unwrap();
        assert!(
            json.starts_with(r#"{"selectCol":{"visible":false,"ordinal":0},"#),
            "{json}"
        );
        assert!(
            json.ends_with(r#""deleteCol":{"visible":false,"ordinal":26}}"#),
            "{json}"
        );
        serde_json::from_str::<serde_json::Value>(&json).unwrap();
        // `$12` is one escaped byte, the `1` after it a plain one.
        assert_eq!(folder.get("sortColumns"), Some(&b"\x121"[..]));
    }

    #[test]
    fn bugmail_msf_with_carriage_return_line_ends() {
        let db = parse_file("thunderbird/comm-central/mailnews/test/data/bugmail-1.msf");
        let rows = message_rows(&db);
        assert_eq!(rows.len(), 1);
        let (key, row) = rows[0];
        assert_eq!(key, 0);
        assert_eq!(row.hex("flags"), Some(1));
        assert_eq!(row.text("keywords").as_deref(), Some("$label4"));
        assert_eq!(
            row.text("message-id").as_deref(),
            Some("200805072155.m47LtAEf007542@mrapp51.mozilla.org")
        );
    }

    #[test]
    fn migration_msf_lists_rows_one_and_three() {
        let db = parse_file(
            "thunderbird/comm-central/mailnews/db/panorama/test/xpcshell/data/migration.msf",
        );
        let rows = message_rows(&db);
        let summary: Vec<_> = rows
            .iter()
            .map(|(key, row)| {
                (
                    *key,
                    row.text("storeToken"),
                    row.hex("flags"),
                    row.text("keywords"),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (1, Some("0".to_owned()), Some(1), Some("$label5".to_owned())),
                (3, Some("1143".to_owned()), Some(0), None),
            ]
        );
        // Values resolved through an alias holding `$C3$AB` (ë in UTF-8).
        assert_eq!(
            rows[1].1.text("sender_name").as_deref(),
            Some("0|\"Zoë Yundt\" <zoe.yundt@invalid>")
        );
    }

    #[test]
    fn french_inbox_folder_record() {
        let db =
            parse_file("thunderbird/comm-central/mailnews/base/test/unit/data/frenchInbox.msf");
        let info = db
            .table(
                "ns:msg:db:row:scope:dbfolderinfo:all",
                "ns:msg:db:table:kind:dbfolderinfo",
            )
            .unwrap();
        let (_, folder) = db.table_rows(info).next().unwrap();
        assert_eq!(
            folder.text("folderName").as_deref(),
            Some("Courrier entrant")
        );
        assert_eq!(folder.hex("flags"), Some(0x1004));
        // Group 27 cut every row of the messages table.
        assert!(db.table(MSGS.0, MSGS.1).unwrap().is_empty());
    }

    #[test]
    fn groups_cut_rows_and_replace_cells() {
        let text = b"// <!-- <mdb:mork:z v=\"1.4\"/> -->
< <(a=c)> (80=ns:msg:db:row:scope:msgs:all)(81=flags)(82=ns:msg:db:table:kind:msgs)>
<(90=0)(91=1)>
{1:^80 {(k^82:c)(s=9)} [1(^81^90)] [2(^81^91)] [3(^81=4)]}
@$${1{@
{1:^80 -2 [-3(^81=5)]}
<(90=7)>
@$$}1}@
@$${2{@
{1:^80 [4(^81=8)]}
@$$}~~}@
@$${3{@
{1:^80 [5(^81=9)]}
";
        let db = MorkDb::parse(text).unwrap();
        let rows = message_rows(&db);
        let flags: Vec<_> = rows
            .iter()
            .map(|(key, row)| (*key, row.hex("flags")))
            .collect();
        // Row 2 cut, row 3's cells replaced, the alias 90 redefined after row 1 was read does
        // not change it, the aborted group 2 and the unfinished group 3 are not applied.
        assert_eq!(flags, vec![(1, Some(0)), (3, Some(5))]);
    }

    #[test]
    fn minus_then_row_in_brackets_cuts_it() {
        let text = b"< <(a=c)> (80=s)(81=k)>{1:^80 {(k^81:c)} [1] [2] [3]}@$${4{@{1:^80 - [-2]}{1:^80 -3}@$$}4}@";
        let db = MorkDb::parse(text).unwrap();
        let ids: Vec<u64> = db
            .table("s", "k")
            .unwrap()
            .row_ids()
            .map(|oid| oid.id)
            .collect();
        assert_eq!(ids, vec![1]);
    }

    #[test]
    fn truncated_and_garbage_files_are_errors_not_panics() {
        let bytes = std::fs::read(corpus(
            "thunderbird/comm-central/mailnews/test/data/love.msf",
        ))
        .unwrap();
        for cut in [10, 100, 500, 1000, 2000] {
            let _ = MorkDb::parse(&bytes[..cut.min(bytes.len())]);
        }
        assert!(MorkDb::parse(&bytes[..700]).is_err());
        assert!(MorkDb::parse(b"From - Mon Jan  1 00:00:00 2024\nSubject: not mork\n").is_err());
        let error = MorkDb::parse(b"<(80=never closed").unwrap_err();
        assert_eq!(error.what, "end of file inside a value");
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
            let _ = MorkDb::parse(&bytes);
        }

        #[test]
        fn mork_like_bytes_never_panic(text in "[<>(){}\\[\\]@$^:=\\-!0-9A-Fa-fkcms \\\\\n/*~]{0,400}") {
            let _ = MorkDb::parse(text.as_bytes());
        }
    }
}
