//! The Options screen's fields as the person types them, and the engine's [`Options`] they
//! stand for. Checking happens here so the screen can say what is wrong before Convert.

use std::path::PathBuf;

use chrono::NaiveDate;

use crate::engine::{self, DEFAULT_SPLIT_SIZE, DateRange, Options, format_size};

/// What the Options screen edits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionsForm {
    /// The PST to write, as typed or picked.
    pub output: String,
    /// Start a new PST file when one would grow past `split_size`.
    pub split: bool,
    pub split_size: String,
    /// First day to convert, `YYYY-MM-DD`; empty for no limit.
    pub date_from: String,
    /// Last day to convert, `YYYY-MM-DD`; empty for no limit.
    pub date_to: String,
    pub skip_duplicates: bool,
    pub include_trash_junk: bool,
}

impl OptionsForm {
    /// The engine's defaults, writing `output`.
    pub fn new(output: PathBuf) -> OptionsForm {
        let defaults = Options::default();
        OptionsForm {
            output: output.display().to_string(),
            split: false,
            split_size: format_size(DEFAULT_SPLIT_SIZE),
            date_from: String::new(),
            date_to: String::new(),
            skip_duplicates: defaults.skip_duplicates,
            include_trash_junk: defaults.include_trash_junk,
        }
    }

    /// The output file, with `.pst` added when the name has no extension.
    pub fn output_path(&self) -> Result<PathBuf, String> {
        let text = self.output.trim();
        if text.is_empty() {
            return Err("choose where the PST file goes".to_owned());
        }
        let mut path = PathBuf::from(text);
        if path.extension().is_none() {
            path.set_extension("pst");
        }
        if path.file_name().is_none() {
            return Err(format!(
                "{text} is a folder: add a file name, e.g. mail.pst"
            ));
        }
        Ok(path)
    }

    /// The options the fields stand for, or what is wrong with them in words for the person.
    pub fn to_options(&self) -> Result<Options, String> {
        let split_size = if self.split {
            engine::parse_size(&self.split_size).map_err(|e| e.to_string())?
        } else {
            DEFAULT_SPLIT_SIZE
        };
        let options = Options {
            split_size,
            date_range: DateRange {
                from: parse_day(&self.date_from, "first day")?,
                to: parse_day(&self.date_to, "last day")?,
            },
            skip_duplicates: self.skip_duplicates,
            include_trash_junk: self.include_trash_junk,
            verify: true,
        };
        options.validate().map_err(|e| e.to_string())?;
        Ok(options)
    }
}

/// An optional day typed as `YYYY-MM-DD`.
fn parse_day(text: &str, which: &str) -> Result<Option<NaiveDate>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    engine::parse_day(text)
        .map(Some)
        .map_err(|error| format!("the {which} {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> OptionsForm {
        OptionsForm::new(PathBuf::from("out").join("mail.pst"))
    }

    #[test]
    fn the_defaults_are_the_engines() {
        let options = form().to_options().unwrap();
        assert_eq!(options, Options::default());
        assert_eq!(form().split_size, "20 GB");
    }

    #[test]
    fn fields_become_options() {
        let mut form = form();
        form.split = true;
        form.split_size = "2 GB".to_owned();
        form.date_from = "2024-01-01".to_owned();
        form.date_to = " 2024-12-31 ".to_owned();
        form.skip_duplicates = true;
        form.include_trash_junk = false;
        let options = form.to_options().unwrap();
        assert_eq!(options.split_size, 2 * 1024 * 1024 * 1024);
        assert_eq!(options.date_range.from, NaiveDate::from_ymd_opt(2024, 1, 1));
        assert_eq!(options.date_range.to, NaiveDate::from_ymd_opt(2024, 12, 31));
        assert!(options.skip_duplicates && !options.include_trash_junk);
    }

    #[test]
    fn mistakes_are_said_in_words() {
        let mut form = form();
        form.date_from = "1/2/2024".to_owned();
        assert!(
            form.to_options()
                .unwrap_err()
                .contains("write it as YYYY-MM-DD")
        );
        form.date_from = "2024-05-01".to_owned();
        form.date_to = "2024-04-01".to_owned();
        assert!(form.to_options().unwrap_err().contains("after its end"));
        form.date_to.clear();
        form.split = true;
        form.split_size = "60GB".to_owned();
        assert!(form.to_options().unwrap_err().contains("outside"));
        form.output = "  ".to_owned();
        assert!(form.output_path().is_err());
    }

    #[test]
    fn a_name_without_extension_gets_pst() {
        let mut form = form();
        form.output = "mail".to_owned();
        assert_eq!(form.output_path().unwrap(), PathBuf::from("mail.pst"));
        form.output = "mail.PST".to_owned();
        assert_eq!(form.output_path().unwrap(), PathBuf::from("mail.PST"));
    }
}
