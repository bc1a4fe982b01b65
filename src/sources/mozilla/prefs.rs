//! `prefs.js`: the profile's settings, written by Thunderbird as one `user_pref("key", value);`
//! call per line. Read with a small tokenizer (strings with escapes, integers, booleans,
//! comments) rather than line patterns, so that escaped quotes and odd spacing cannot fool it.
//! From the settings come the mail accounts, where their folders are, and the tag names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One preference value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrefValue {
    String(String),
    Int(i64),
    Bool(bool),
}

/// Every preference of a `prefs.js`, by key. A key set twice keeps the last value, as Firefox's
/// preference service does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Prefs {
    values: BTreeMap<String, PrefValue>,
}

impl Prefs {
    /// Reads `prefs.js` text. Statements that cannot be read are skipped and described in the
    /// returned list (with their line number); the rest is kept.
    pub fn parse(text: &str) -> (Prefs, Vec<String>) {
        let mut prefs = Prefs::default();
        let mut problems = Vec::new();
        let mut lexer = Lexer::new(text);
        loop {
            match lexer.statement() {
                Ok(Some((key, value))) => {
                    prefs.values.insert(key, value);
                }
                Ok(None) => break,
                Err(problem) => {
                    problems.push(problem);
                    if !lexer.skip_statement() {
                        break;
                    }
                }
            }
        }
        (prefs, problems)
    }

    /// A preference as it was written.
    pub fn get(&self, key: &str) -> Option<&PrefValue> {
        self.values.get(key)
    }

    /// A string preference (integers are not strings).
    pub fn string(&self, key: &str) -> Option<&str> {
        match self.values.get(key)? {
            PrefValue::String(value) => Some(value),
            _ => None,
        }
    }

    /// An integer preference.
    pub fn int(&self, key: &str) -> Option<i64> {
        match self.values.get(key)? {
            PrefValue::Int(value) => Some(*value),
            _ => None,
        }
    }

    /// A boolean preference.
    pub fn bool(&self, key: &str) -> Option<bool> {
        match self.values.get(key)? {
            PrefValue::Bool(value) => Some(*value),
            _ => None,
        }
    }

    /// Every key that starts with `prefix`, in sorted order.
    pub fn keys_with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> {
        self.values
            .range(prefix.to_owned()..)
            .map(|(key, _)| key.as_str())
            .take_while(move |key| key.starts_with(prefix))
    }

    /// How many preferences were read.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when no preference was read.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// The tokenizer for `pref(...)`, `user_pref(...)` and `sticky_pref(...)` statements.
struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    line: usize,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
        Lexer {
            chars: text.char_indices().peekable(),
            line: 1,
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().map(|&(_, c)| c)
    }

    fn bump(&mut self) -> Option<char> {
        let (_, c) = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn problem(&self, what: impl std::fmt::Display) -> String {
        format!("line {}: {what}", self.line)
    }

    /// Skips white space and comments (`//`, `#`, `/* */`).
    fn skip_trivia(&mut self) -> Result<(), String> {
        loop {
            match self.peek() {
                Some(c) if c.is_whitespace() || c == '\u{feff}' => {
                    self.bump();
                }
                Some('#') => self.skip_line(),
                Some('/') => {
                    let mut ahead = self.chars.clone();
                    ahead.next();
                    match ahead.peek().map(|&(_, c)| c) {
                        Some('/') => self.skip_line(),
                        Some('*') => {
                            self.bump();
                            self.bump();
                            let mut last = '\0';
                            loop {
                                match self.bump() {
                                    Some('/') if last == '*' => break,
                                    Some(c) => last = c,
                                    None => return Err(self.problem("unclosed /* comment")),
                                }
                            }
                        }
                        _ => return Ok(()),
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn skip_line(&mut self) {
        while let Some(c) = self.peek() {
            if c == '\n' {
                break;
            }
            self.bump();
        }
    }

    /// After an error: skips to just after the next `;` (or the end of the line). Returns false
    /// at the end of the text.
    fn skip_statement(&mut self) -> bool {
        while let Some(c) = self.bump() {
            if c == ';' || c == '\n' {
                return true;
            }
        }
        false
    }

    fn expect(&mut self, wanted: char) -> Result<(), String> {
        self.skip_trivia()?;
        match self.bump() {
            Some(c) if c == wanted => Ok(()),
            Some(c) => Err(self.problem(format!("expected '{wanted}', found '{c}'"))),
            None => Err(self.problem(format!("expected '{wanted}', found the end"))),
        }
    }

    /// One statement, or None at the end of the text.
    fn statement(&mut self) -> Result<Option<(String, PrefValue)>, String> {
        self.skip_trivia()?;
        if self.peek().is_none() {
            return Ok(None);
        }
        let mut function = String::new();
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == '_' {
                function.push(c);
                self.bump();
            } else {
                break;
            }
        }
        if !matches!(function.as_str(), "user_pref" | "pref" | "sticky_pref") {
            return Err(self.problem(format!("expected user_pref(...), found '{function}'")));
        }
        self.expect('(')?;
        self.skip_trivia()?;
        let key = match self.value()? {
            PrefValue::String(key) => key,
            _ => return Err(self.problem("a preference name must be a string")),
        };
        self.expect(',')?;
        self.skip_trivia()?;
        let value = self.value()?;
        self.skip_trivia()?;
        // pref("key", value, locked) and similar attributes.
        if self.peek() == Some(',') {
            self.bump();
            self.skip_trivia()?;
            while self
                .peek()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            {
                self.bump();
            }
        }
        self.expect(')')?;
        self.expect(';')?;
        Ok(Some((key, value)))
    }

    fn value(&mut self) -> Result<PrefValue, String> {
        match self.peek() {
            Some(quote @ ('"' | '\'')) => {
                self.bump();
                self.string(quote).map(PrefValue::String)
            }
            Some(c) if c == '-' || c == '+' || c.is_ascii_digit() => self.integer(),
            Some(c) if c.is_ascii_alphabetic() => {
                let mut word = String::new();
                while let Some(c) = self.peek() {
                    if c.is_ascii_alphabetic() {
                        word.push(c);
                        self.bump();
                    } else {
                        break;
                    }
                }
                match word.as_str() {
                    "true" => Ok(PrefValue::Bool(true)),
                    "false" => Ok(PrefValue::Bool(false)),
                    _ => Err(self.problem(format!("unknown value '{word}'"))),
                }
            }
            Some(c) => Err(self.problem(format!("unexpected '{c}' where a value belongs"))),
            None => Err(self.problem("a value is missing at the end")),
        }
    }

    fn integer(&mut self) -> Result<PrefValue, String> {
        let mut text = String::new();
        if let Some(sign @ ('-' | '+')) = self.peek() {
            text.push(sign);
            self.bump();
        }
        while let Some(c) = self.peek() {
            if c.is_ascii_digit() {
                text.push(c);
                self.bump();
            } else {
                break;
            }
        }
        text.parse::<i64>()
            .map(PrefValue::Int)
            .map_err(|_| self.problem(format!("'{text}' is not an integer")))
    }

    /// The rest of a string after its opening quote, with escapes undone.
    fn string(&mut self, quote: char) -> Result<String, String> {
        let mut text = String::new();
        loop {
            let Some(c) = self.bump() else {
                return Err(self.problem("unclosed string"));
            };
            match c {
                c if c == quote => return Ok(text),
                '\\' => {
                    let Some(escaped) = self.bump() else {
                        return Err(self.problem("unclosed string"));
                    };
                    match escaped {
                        'n' => text.push('\n'),
                        'r' => text.push('\r'),
                        't' => text.push('\t'),
                        'x' => {
                            let code = self.hex_digits(2)?;
                            text.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                        }
                        'u' => {
                            let unit = self.hex_digits(4)?;
                            text.push(self.utf16_char(unit)?);
                        }
                        other => text.push(other),
                    }
                }
                c => text.push(c),
            }
        }
    }

    fn hex_digits(&mut self, count: usize) -> Result<u32, String> {
        let mut value = 0u32;
        for _ in 0..count {
            let digit = self
                .bump()
                .and_then(|c| c.to_digit(16))
                .ok_or_else(|| self.problem("bad hex escape in a string"))?;
            value = value * 16 + digit;
        }
        Ok(value)
    }

    /// A `\uXXXX` escape, joined with a following low surrogate where there is one.
    fn utf16_char(&mut self, unit: u32) -> Result<char, String> {
        if (0xD800..0xDC00).contains(&unit) {
            let mut ahead = self.chars.clone();
            let is_pair = matches!(
                (ahead.next(), ahead.next()),
                (Some((_, '\\')), Some((_, 'u')))
            );
            if is_pair {
                self.bump();
                self.bump();
                let low = self.hex_digits(4)?;
                if (0xDC00..0xE000).contains(&low) {
                    let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                    return Ok(char::from_u32(code).unwrap_or('\u{fffd}'));
                }
                return Ok('\u{fffd}');
            }
        }
        Ok(char::from_u32(unit).unwrap_or('\u{fffd}'))
    }
}

/// What kind of server an account uses.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ServerType {
    Pop3,
    Imap,
    /// "Local Folders".
    Local,
    /// RSS and Atom feeds, kept as mail.
    Rss,
    /// Newsgroups.
    Nntp,
    Other(String),
}

impl ServerType {
    fn from_pref(value: &str) -> ServerType {
        match value {
            "pop3" => ServerType::Pop3,
            "imap" => ServerType::Imap,
            "none" => ServerType::Local,
            "rss" => ServerType::Rss,
            "nntp" => ServerType::Nntp,
            other => ServerType::Other(other.to_owned()),
        }
    }
}

/// How an account keeps its messages on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StoreFormat {
    /// One mbox file per folder (`berkeleystore`, the default).
    Mbox,
    /// One directory per folder with one file per message (`maildirstore`).
    Maildir,
}

/// One mail account of a profile, as `prefs.js` describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// `account1`, ...
    pub key: String,
    /// `server1`, ...
    pub server_key: String,
    pub server_type: ServerType,
    /// The account's name as Thunderbird shows it in the folder pane.
    pub name: String,
    /// The e-mail address of the account's first identity.
    pub email: Option<String>,
    pub hostname: Option<String>,
    pub user_name: Option<String>,
    /// The server's port (`mail.server.serverN.port`), when prefs.js sets one.
    pub port: Option<u16>,
    /// How the connection is protected (`socketType`: 0 plain, 1 STARTTLS if offered, 2
    /// STARTTLS always, 3 TLS), when prefs.js says.
    pub socket_type: Option<i64>,
    /// The folder that holds the account's mail folders, when it could be resolved.
    pub directory: Option<PathBuf>,
    pub store: StoreFormat,
    /// The folder URI prefix Thunderbird uses for the account (`mailbox://alice@pop.example.com`).
    pub uri: Option<String>,
}

/// Resolves a `directory-rel` value (`[ProfD]Mail/pop.example.com`) against the profile.
fn resolve_relative(profile: &Path, value: &str) -> Option<PathBuf> {
    let rest = value.strip_prefix("[ProfD]")?;
    let mut path = profile.to_path_buf();
    for part in rest.split(['/', '\\']).filter(|part| !part.is_empty()) {
        if part == ".." || part == "." {
            return None;
        }
        path.push(part);
    }
    Some(path)
}

/// Escapes a URI user or host part the way folder URIs show them (`Local%20Folders`).
fn uri_escape(text: &str) -> String {
    let mut escaped = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:".contains(&byte) {
            escaped.push(byte as char);
        } else {
            escaped.push_str(&format!("%{byte:02X}"));
        }
    }
    escaped
}

impl Prefs {
    /// The accounts in the order Thunderbird lists them (`mail.accountmanager.accounts`), each
    /// with its server. Newsgroup accounts and accounts without a server are left out; the
    /// second list says which and why.
    pub fn accounts(&self, profile: &Path) -> (Vec<Account>, Vec<String>) {
        let mut notes = Vec::new();
        let listed: Vec<String> = match self.string("mail.accountmanager.accounts") {
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|key| !key.is_empty())
                .map(str::to_owned)
                .collect(),
            None => {
                // No list: every account that has a server, by key.
                let mut keys: Vec<String> = self
                    .keys_with_prefix("mail.account.")
                    .filter_map(|key| key.strip_suffix(".server"))
                    .filter_map(|key| key.strip_prefix("mail.account."))
                    .map(str::to_owned)
                    .collect();
                keys.sort();
                keys
            }
        };
        let mut accounts = Vec::new();
        let mut servers_seen = Vec::new();
        for key in &listed {
            let Some(server_key) = self.string(&format!("mail.account.{key}.server")) else {
                notes.push(format!("account {key} has no server in prefs.js; left out"));
                continue;
            };
            servers_seen.push(server_key.to_owned());
            if let Some(account) = self.account(profile, key, server_key, &mut notes) {
                accounts.push(account);
            }
        }
        // Local Folders are shown even when not listed.
        if let Some(local) = self.string("mail.accountmanager.localfoldersserver")
            && !servers_seen.iter().any(|seen| seen == local)
            && let Some(account) = self.account(profile, "", local, &mut notes)
        {
            accounts.push(account);
        }
        (accounts, notes)
    }

    fn account(
        &self,
        profile: &Path,
        key: &str,
        server_key: &str,
        notes: &mut Vec<String>,
    ) -> Option<Account> {
        let server = |name: &str| format!("mail.server.{server_key}.{name}");
        let type_pref = self.string(&server("type")).unwrap_or("none");
        let server_type = ServerType::from_pref(type_pref);
        let hostname = self.string(&server("hostname")).map(str::to_owned);
        let user_name = self.string(&server("userName")).map(str::to_owned);
        if server_type == ServerType::Nntp {
            notes.push(format!(
                "newsgroup account {} is not converted",
                hostname.as_deref().unwrap_or(server_key)
            ));
            return None;
        }
        if self.bool(&server("hidden")) == Some(true) {
            return None;
        }
        let email = self
            .string(&format!("mail.account.{key}.identities"))
            .and_then(|ids| ids.split(',').map(str::trim).find(|id| !id.is_empty()))
            .and_then(|id| self.string(&format!("mail.identity.{id}.useremail")))
            .filter(|email| !email.is_empty())
            .map(str::to_owned);
        let name = self
            .string(&server("name"))
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .or_else(|| match server_type {
                ServerType::Local => Some("Local Folders".to_owned()),
                _ => None,
            })
            .or_else(|| email.clone())
            .or_else(|| match (&user_name, &hostname) {
                (Some(user), Some(host)) if !user.is_empty() => Some(format!("{user}@{host}")),
                _ => None,
            })
            .or_else(|| hostname.clone())
            .unwrap_or_else(|| server_key.to_owned());
        let relative = self
            .string(&server("directory-rel"))
            .and_then(|value| resolve_relative(profile, value));
        let absolute = self
            .string(&server("directory"))
            .map(PathBuf::from)
            .filter(|path| path.is_dir());
        let guessed = hostname.as_ref().map(|host| {
            let top = if server_type == ServerType::Imap {
                "ImapMail"
            } else {
                "Mail"
            };
            profile.join(top).join(host)
        });
        let directory = relative
            .clone()
            .filter(|path| path.is_dir())
            .or(absolute)
            .or_else(|| guessed.filter(|path| path.is_dir()))
            .or(relative);
        let store = match self.string(&server("storeContractID")) {
            Some(id) if id.contains("maildirstore") => StoreFormat::Maildir,
            _ => StoreFormat::Mbox,
        };
        let scheme = match server_type {
            ServerType::Imap => "imap",
            _ => "mailbox",
        };
        let uri = match (&user_name, &hostname) {
            (Some(user), Some(host)) => Some(format!(
                "{scheme}://{}@{}",
                uri_escape(user),
                uri_escape(host)
            )),
            (None, Some(host)) => Some(format!("{scheme}://{}", uri_escape(host))),
            _ => None,
        };
        Some(Account {
            key: key.to_owned(),
            server_key: server_key.to_owned(),
            server_type,
            name,
            email,
            hostname,
            user_name,
            port: self
                .int(&server("port"))
                .and_then(|port| u16::try_from(port).ok())
                .filter(|port| *port > 0),
            socket_type: self.int(&server("socketType")),
            directory,
            store,
            uri,
        })
    }

    /// Tag names by key (lower case), from `mailnews.tags.<key>.tag`, with Thunderbird's
    /// default names for `$label1` … `$label5` where the profile does not rename them.
    pub fn tag_names(&self) -> BTreeMap<String, String> {
        let mut tags: BTreeMap<String, String> = [
            ("$label1", "Important"),
            ("$label2", "Work"),
            ("$label3", "Personal"),
            ("$label4", "To Do"),
            ("$label5", "Later"),
        ]
        .into_iter()
        .map(|(key, name)| (key.to_owned(), name.to_owned()))
        .collect();
        for pref in self.keys_with_prefix("mailnews.tags.") {
            let Some(key) = pref
                .strip_prefix("mailnews.tags.")
                .and_then(|rest| rest.strip_suffix(".tag"))
            else {
                continue;
            };
            if let Some(name) = self.string(pref).filter(|name| !name.is_empty()) {
                tags.insert(key.to_lowercase(), name.to_owned());
            }
        }
        tags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus_profile() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/corpus/thunderbird-profile/ng5ko9yq.default-default")
    }

    #[test]
    fn reads_strings_integers_booleans_and_escapes() {
        let text = r#"
// comment
# another
/* block
   comment */
user_pref("a.string", "He said \"hi\" \\ done");
user_pref("a.int", -42);
user_pref("a.bool", true);
user_pref( "spaced" ,  false ) ;
pref("locked.one", 7, locked);
user_pref("unicode", "caf\u00e9 \ud83d\ude00 \x41");
user_pref("single", 'it''s');
"#;
        let (prefs, problems) = Prefs::parse(text);
        assert_eq!(prefs.string("a.string"), Some(r#"He said "hi" \ done"#));
        assert_eq!(prefs.int("a.int"), Some(-42));
        assert_eq!(prefs.bool("a.bool"), Some(true));
        assert_eq!(prefs.bool("spaced"), Some(false));
        assert_eq!(prefs.int("locked.one"), Some(7));
        assert_eq!(prefs.string("unicode"), Some("café 😀 A"));
        // 'it' followed by 's' is not a statement: reported, the rest still read.
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("line 12:"), "{problems:?}");
    }

    #[test]
    fn a_broken_line_is_reported_and_the_next_lines_are_still_read() {
        let text = "user_pref(\"good.one\", 1);\nuser_pref(\"broken\", nonsense);\nuser_pref(\"good.two\", \"x\");\n";
        let (prefs, problems) = Prefs::parse(text);
        assert_eq!(prefs.int("good.one"), Some(1));
        assert_eq!(prefs.string("good.two"), Some("x"));
        assert_eq!(
            problems,
            vec!["line 2: unknown value 'nonsense'".to_owned()]
        );
    }

    #[test]
    fn an_unclosed_string_does_not_hang_or_panic() {
        let (prefs, problems) = Prefs::parse("user_pref(\"a\", \"never closed);\n");
        assert!(prefs.is_empty());
        assert_eq!(problems.len(), 1);
    }

    #[test]
    fn corpus_profile_accounts_in_thunderbird_order_with_names_and_stores() {
        let profile = corpus_profile();
        let text = std::fs::read_to_string(profile.join("prefs.js")).unwrap();
        let (prefs, problems) = Prefs::parse(&text);
        assert!(problems.is_empty(), "{problems:?}");
        let (accounts, notes) = prefs.accounts(&profile);
        assert!(notes.is_empty(), "{notes:?}");
        let summary: Vec<_> = accounts
            .iter()
            .map(|account| {
                (
                    account.key.as_str(),
                    account.name.as_str(),
                    account.email.as_deref(),
                    account.server_type.clone(),
                    account.store,
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    "account1",
                    "alice@example.com",
                    Some("alice@example.com"),
                    ServerType::Pop3,
                    StoreFormat::Mbox
                ),
                (
                    "account3",
                    "bob@example.org",
                    Some("bob@example.org"),
                    ServerType::Pop3,
                    StoreFormat::Maildir
                ),
                (
                    "account2",
                    "Local Folders",
                    None,
                    ServerType::Local,
                    StoreFormat::Mbox
                ),
            ]
        );
        assert_eq!(
            accounts[0].directory.as_deref(),
            Some(profile.join("Mail").join("pop.example.com").as_path())
        );
        assert_eq!(
            accounts[2].uri.as_deref(),
            Some("mailbox://nobody@Local%20Folders")
        );
    }

    #[test]
    fn corpus_profile_tag_names_include_the_custom_tag() {
        let text = std::fs::read_to_string(corpus_profile().join("prefs.js")).unwrap();
        let (prefs, _) = Prefs::parse(&text);
        let tags = prefs.tag_names();
        assert_eq!(tags.get("$label4").map(String::as_str), Some("To Do"));
        assert_eq!(
            tags.get("r=c3=a9union=20client").map(String::as_str),
            Some("Réunion client")
        );
        assert_eq!(tags.len(), 6);
    }

    #[test]
    fn default_tag_names_without_prefs() {
        let tags = Prefs::default().tag_names();
        assert_eq!(tags.get("$label1").map(String::as_str), Some("Important"));
        assert_eq!(tags.get("$label5").map(String::as_str), Some("Later"));
    }

    #[test]
    fn account_name_falls_back_to_identity_then_user_at_host() {
        let text = r#"
user_pref("mail.accountmanager.accounts", "account1,account2");
user_pref("mail.account.account1.server", "server1");
user_pref("mail.account.account1.identities", "id1");
user_pref("mail.identity.id1.useremail", "me@example.net");
user_pref("mail.server.server1.type", "imap");
user_pref("mail.server.server1.hostname", "imap.example.net");
user_pref("mail.server.server1.userName", "me");
user_pref("mail.account.account2.server", "server2");
user_pref("mail.server.server2.type", "pop3");
user_pref("mail.server.server2.hostname", "pop.example.net");
user_pref("mail.server.server2.userName", "you");
"#;
        let (prefs, _) = Prefs::parse(text);
        let (accounts, _) = prefs.accounts(Path::new("/nonexistent-profile"));
        assert_eq!(accounts[0].name, "me@example.net");
        assert_eq!(
            accounts[0].uri.as_deref(),
            Some("imap://me@imap.example.net")
        );
        // Neither directory-rel nor directory, and no ImapMail/imap.example.net on disk.
        assert_eq!(accounts[0].directory, None);
        assert_eq!(accounts[1].name, "you@pop.example.net");
    }
}
