//! The [recipient table](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/bb069b2b-80ad-46d5-b86f-33487d16bf0c)
//! (MS-PST 2.4.5.3): recipients exist only as its rows, RowIDs 1..n in the message's order.

use crate::pst::ltp::PropValue;
use crate::pst::mail::{Recipient, RecipientKind};
use crate::pst::messaging::message::{AddressTags, set_address};
use crate::pst::messaging::props::Props;
use crate::pst::messaging::tags;
use crate::pst::messaging::templates;

/// PidTagObjectType of a mail user.
const MAPI_MAILUSER: i32 = 6;
/// PidTagDisplayType of a mail user.
const DT_MAILUSER: i32 = 0;
/// PidTagRecipientFlags: "sendable" (recipSendable).
const RECIPIENT_SENDABLE: i32 = 1;

/// PidTagRecipientType of a kind of recipient (MS-OXOMSG 2.2.3.1).
pub fn recipient_type(kind: RecipientKind) -> i32 {
    match kind {
        RecipientKind::To => 1,
        RecipientKind::Cc => 2,
        RecipientKind::Bcc => 3,
    }
}

/// All properties of one recipient.
pub fn recipient_properties(recipient: &Recipient) -> Props<'_> {
    let mut props = Props::new();
    props.int(tags::RECIPIENT_TYPE, recipient_type(recipient.kind));
    props.boolean(tags::RESPONSIBILITY, false);
    props.int(tags::OBJECT_TYPE, MAPI_MAILUSER);
    props.int(tags::DISPLAY_TYPE, DT_MAILUSER);
    props.boolean(tags::SEND_RICH_INFO, false);
    props.int(tags::RECIPIENT_FLAGS, RECIPIENT_SENDABLE);
    props.int(tags::RECIPIENT_TRACK_STATUS, 0);
    set_address(
        &mut props,
        &recipient.address,
        AddressTags {
            name: tags::DISPLAY_NAME,
            email: tags::EMAIL_ADDRESS,
            address_type: tags::ADDRESS_TYPE,
            entry_id: tags::ENTRY_ID,
            search_key: tags::SEARCH_KEY,
            smtp: tags::SMTP_ADDRESS,
        },
    );
    let name = recipient.address.display();
    props.string(tags::RECIPIENT_DISPLAY_NAME, name);
    if name.is_ascii() {
        props.string(tags::SEVEN_BIT_DISPLAY_NAME, name);
    }
    if let Some(PropValue::Binary(entry_id)) = props.get(tags::ENTRY_ID).cloned() {
        props.binary(tags::RECIPIENT_ENTRY_ID, entry_id);
    }
    props
}

/// The row of one recipient in the table's column order.
pub fn recipient_row(recipient: &Recipient) -> Vec<Option<PropValue<'_>>> {
    recipient_properties(recipient).row(templates::RECIPIENTS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pst::mail::Address;

    #[test]
    fn a_cc_recipient_row_carries_its_address() {
        let recipient = Recipient {
            kind: RecipientKind::Cc,
            address: Address::new(Some("Zoë"), "zoe@example.com"),
        };
        let props = recipient_properties(&recipient);
        let row = recipient_row(&recipient);
        assert_eq!(row.len(), templates::RECIPIENTS.len());
        let kind = templates::RECIPIENTS
            .iter()
            .position(|tag| *tag == tags::RECIPIENT_TYPE)
            .unwrap();
        assert_eq!(row[kind], Some(PropValue::Integer32(2)));
        assert_eq!(
            props.get(tags::EMAIL_ADDRESS),
            Some(&PropValue::String("zoe@example.com".into()))
        );
        // Not ASCII: no 7-bit name.
        assert_eq!(props.get(tags::SEVEN_BIT_DISPLAY_NAME), None);
        assert_eq!(
            props.get(tags::ENTRY_ID),
            props.get(tags::RECIPIENT_ENTRY_ID)
        );
        // Every property of a recipient is a column: the row loses nothing.
        assert_eq!(row.iter().flatten().count(), props.len());
    }

    #[test]
    fn a_name_without_address_has_no_address_properties() {
        let recipient = Recipient {
            kind: RecipientKind::To,
            address: Address::new(Some("Team"), ""),
        };
        let props = recipient_properties(&recipient);
        assert_eq!(props.get(tags::EMAIL_ADDRESS), None);
        assert_eq!(props.get(tags::ENTRY_ID), None);
        assert_eq!(
            props.get(tags::DISPLAY_NAME),
            Some(&PropValue::String("Team".into()))
        );
    }
}
