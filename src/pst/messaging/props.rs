//! A property list as the messaging layer builds it before the LTP layer encodes it as a
//! property context ([MS-PST 2.3.3](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/294c83c6-ff92-42f5-b6b6-876c29fa9737)),
//! and the table rows taken from such lists so that every cell equals the object's property.

use std::borrow::Cow;

use crate::pst::ltp::{PropTag, PropValue};

/// Properties of one object, in the order they were set; [`Props::into_sorted`] gives them
/// sorted by property ID as a PC stores them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Props<'a> {
    list: Vec<(PropTag, PropValue<'a>)>,
}

impl<'a> Props<'a> {
    pub fn new() -> Self {
        Props { list: Vec::new() }
    }

    /// Sets `tag` to `value`, replacing an earlier value of the same property ID.
    pub fn set(&mut self, tag: PropTag, value: PropValue<'a>) {
        debug_assert_eq!(tag.ty, value.prop_type(), "{tag:?}");
        match self.list.iter_mut().find(|(t, _)| t.id == tag.id) {
            Some(slot) => *slot = (tag, value),
            None => self.list.push((tag, value)),
        }
    }

    pub fn int(&mut self, tag: PropTag, value: i32) {
        self.set(tag, PropValue::Integer32(value));
    }

    pub fn boolean(&mut self, tag: PropTag, value: bool) {
        self.set(tag, PropValue::Boolean(value));
    }

    pub fn time(&mut self, tag: PropTag, value: u64) {
        self.set(tag, PropValue::Time(value));
    }

    pub fn string(&mut self, tag: PropTag, value: impl Into<Cow<'a, str>>) {
        self.set(tag, PropValue::String(value.into()));
    }

    pub fn binary(&mut self, tag: PropTag, value: impl Into<Cow<'a, [u8]>>) {
        self.set(tag, PropValue::Binary(value.into()));
    }

    /// The value of `tag` (same ID and type), if set.
    pub fn get(&self, tag: PropTag) -> Option<&PropValue<'a>> {
        self.list
            .iter()
            .find(|(t, _)| *t == tag)
            .map(|(_, value)| value)
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The properties sorted by property ID, as a property context's BTH stores them (and
    /// allocates their values).
    pub fn sorted(&mut self) -> &[(PropTag, PropValue<'a>)] {
        self.list.sort_by_key(|(tag, _)| tag.id);
        &self.list
    }

    pub fn iter(&self) -> impl Iterator<Item = &(PropTag, PropValue<'a>)> {
        self.list.iter()
    }

    /// The cells of a table row with `columns`: each the object's own value of that column's
    /// tag, `None` where the object has none (its cell-existence bit stays clear).
    pub fn row(&self, columns: &[PropTag]) -> Vec<Option<PropValue<'a>>> {
        columns.iter().map(|tag| self.get(*tag).cloned()).collect()
    }

    /// The list sorted by property ID, as a property context's BTH stores it.
    pub fn into_sorted(mut self) -> Vec<(PropTag, PropValue<'a>)> {
        self.list.sort_by_key(|(tag, _)| tag.id);
        self.list
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pst::ltp::PropType;

    const A: PropTag = PropTag::new(0x3001, PropType::String);
    const B: PropTag = PropTag::new(0x0E07, PropType::Integer32);
    const C: PropTag = PropTag::new(0x0E30, PropType::Binary);

    #[test]
    fn set_replaces_and_sorting_orders_by_id() {
        let mut props = Props::new();
        props.string(A, "x");
        props.int(B, 1);
        props.int(B, 2);
        let sorted = props.into_sorted();
        assert_eq!(
            sorted,
            vec![
                (B, PropValue::Integer32(2)),
                (A, PropValue::String("x".into()))
            ]
        );
    }

    #[test]
    fn rows_take_the_object_values_and_leave_others_absent() {
        let mut props = Props::new();
        props.string(A, "name");
        props.int(B, 7);
        let row = props.row(&[C, B, A]);
        assert_eq!(
            row,
            vec![
                None,
                Some(PropValue::Integer32(7)),
                Some(PropValue::String("name".into()))
            ]
        );
        // A column of another type is not the same property.
        let other = PropTag::new(0x0E07, PropType::Integer64);
        assert_eq!(props.row(&[other]), vec![None]);
    }
}
