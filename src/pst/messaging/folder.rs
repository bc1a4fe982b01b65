//! [Folders](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/dee5b9d0-5513-4c5e-94aa-8bd28a9350b2)
//! (MS-PST 2.4.4): the folder PC and the row a folder has in its parent's hierarchy table. Both
//! come from one [`FolderState`], so the counts of PC, row and tables always agree.

use crate::pst::ltp::PropValue;
use crate::pst::messaging::props::Props;
use crate::pst::messaging::tags;
use crate::pst::messaging::templates;

/// The container class of mail folders.
pub const MAIL_CONTAINER_CLASS: &str = "IPF.Note";

/// What a folder PC says about a folder.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FolderState {
    pub name: String,
    /// Messages in its contents table.
    pub content_count: u32,
    /// Of those, the ones without MSGFLAG_READ.
    pub unread_count: u32,
    /// Whether its hierarchy table has rows.
    pub has_subfolders: bool,
    /// PidTagContainerClass; the root, the IPM subtree, Search Root and Deleted Items have
    /// none, as in a new Outlook store.
    pub container_class: Option<&'static str>,
    /// PidTagComment; Outlook gives one to Deleted Items.
    pub comment: Option<&'static str>,
}

impl FolderState {
    /// The folder PC (MS-PST 2.4.4.1.1).
    pub fn properties(&self) -> Props<'_> {
        let mut props = Props::new();
        props.string(tags::DISPLAY_NAME, self.name.as_str());
        props.int(tags::CONTENT_COUNT, count(self.content_count));
        props.int(tags::CONTENT_UNREAD_COUNT, count(self.unread_count));
        props.boolean(tags::SUBFOLDERS, self.has_subfolders);
        if let Some(class) = self.container_class {
            props.string(tags::CONTAINER_CLASS, class);
        }
        if let Some(comment) = self.comment {
            props.string(tags::COMMENT, comment);
        }
        props
    }

    /// The folder's row in its parent's hierarchy table: the PC's values of the template columns.
    pub fn hierarchy_row(&self) -> Vec<Option<PropValue<'_>>> {
        self.properties().row(templates::HIERARCHY)
    }
}

/// A count as the I32 the PC stores; a folder never holds 2^31 messages (NIDs have 27 bits).
fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hierarchy_row_repeats_the_pc() {
        let folder = FolderState {
            name: "Inbox".into(),
            content_count: 3,
            unread_count: 1,
            has_subfolders: true,
            container_class: Some(MAIL_CONTAINER_CLASS),
            comment: None,
        };
        let props = folder.properties();
        let row = folder.hierarchy_row();
        assert_eq!(row.len(), templates::HIERARCHY.len());
        for (tag, cell) in templates::HIERARCHY.iter().zip(&row) {
            assert_eq!(cell.as_ref(), props.get(*tag), "{tag:?}");
        }
        assert_eq!(row.iter().flatten().count(), 5);
    }

    #[test]
    fn root_has_no_container_class() {
        let root = FolderState {
            has_subfolders: true,
            ..FolderState::default()
        };
        let props = root.properties();
        assert_eq!(props.get(tags::CONTAINER_CLASS), None);
        assert_eq!(
            props.get(tags::DISPLAY_NAME),
            Some(&PropValue::String("".into()))
        );
        assert_eq!(props.get(tags::SUBFOLDERS), Some(&PropValue::Boolean(true)));
    }
}
