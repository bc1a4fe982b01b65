//! The properties of contacts, appointments and tasks: named properties of PSETID_Address
//! (MS-OXOCNTC), PSETID_Appointment and PSETID_Meeting (MS-OXOCAL), PSETID_Task (MS-OXOTASK)
//! and PSETID_Common, with the LIDs and types MS-OXPROPS gives them, and the tagged
//! properties of contacts (MS-OXOCNTC 2.2.1) and exception attachments (MS-OXOCAL 2.2.10.1).

use crate::pst::ltp::{PropTag, PropType};
use crate::pst::messaging::name_map::{Name, NamedProperty, PropertySet};

/// {00062004-0000-0000-C000-000000000046}, as stored (little-endian fields).
const PSETID_ADDRESS: [u8; 16] = guid(0x0006_2004);
/// {00062002-0000-0000-C000-000000000046}.
const PSETID_APPOINTMENT: [u8; 16] = guid(0x0006_2002);
/// {00062003-0000-0000-C000-000000000046}.
const PSETID_TASK: [u8; 16] = guid(0x0006_2003);
/// {00062008-0000-0000-C000-000000000046}.
const PSETID_COMMON: [u8; 16] = guid(0x0006_2008);
/// {6ED8DA90-450B-101B-98DA-00AA003F1305}.
const PSETID_MEETING: [u8; 16] = [
    0x90, 0xDA, 0xD8, 0x6E, 0x0B, 0x45, 0x1B, 0x10, 0x98, 0xDA, 0x00, 0xAA, 0x00, 0x3F, 0x13, 0x05,
];

/// The GUIDs {XXXXXXXX-0000-0000-C000-000000000046} of Outlook's property sets.
const fn guid(first: u32) -> [u8; 16] {
    let f = first.to_le_bytes();
    [
        f[0], f[1], f[2], f[3], 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46,
    ]
}

const fn lid(set: [u8; 16], id: u32, ty: PropType) -> NamedProperty {
    NamedProperty {
        set: PropertySet::Guid(set),
        name: Name::Id(id),
        ty,
    }
}

use PropType::{
    Binary, Boolean, Floating64, Integer32, MultipleBinary, MultipleInteger32, String, Time,
};

// Contacts (PSETID_Address).
pub const FILE_UNDER: NamedProperty = lid(PSETID_ADDRESS, 0x8005, String);
pub const FILE_UNDER_ID: NamedProperty = lid(PSETID_ADDRESS, 0x8006, Integer32);
pub const HAS_PICTURE: NamedProperty = lid(PSETID_ADDRESS, 0x8015, Boolean);
pub const HOME_ADDRESS: NamedProperty = lid(PSETID_ADDRESS, 0x801A, String);
pub const WORK_ADDRESS: NamedProperty = lid(PSETID_ADDRESS, 0x801B, String);
pub const OTHER_ADDRESS: NamedProperty = lid(PSETID_ADDRESS, 0x801C, String);
pub const POSTAL_ADDRESS_ID: NamedProperty = lid(PSETID_ADDRESS, 0x8022, Integer32);
pub const EMAIL_LIST: NamedProperty = lid(PSETID_ADDRESS, 0x8028, MultipleInteger32);
pub const EMAIL_LIST_TYPE: NamedProperty = lid(PSETID_ADDRESS, 0x8029, Integer32);
pub const WEB_PAGE: NamedProperty = lid(PSETID_ADDRESS, 0x802B, String);
pub const WORK_ADDRESS_STREET: NamedProperty = lid(PSETID_ADDRESS, 0x8045, String);
pub const WORK_ADDRESS_CITY: NamedProperty = lid(PSETID_ADDRESS, 0x8046, String);
pub const WORK_ADDRESS_STATE: NamedProperty = lid(PSETID_ADDRESS, 0x8047, String);
pub const WORK_ADDRESS_POSTAL_CODE: NamedProperty = lid(PSETID_ADDRESS, 0x8048, String);
pub const WORK_ADDRESS_COUNTRY: NamedProperty = lid(PSETID_ADDRESS, 0x8049, String);
pub const WORK_ADDRESS_PO_BOX: NamedProperty = lid(PSETID_ADDRESS, 0x804A, String);
pub const INSTANT_MESSAGING: NamedProperty = lid(PSETID_ADDRESS, 0x8062, String);
// Personal distribution lists (PSETID_Address, MS-OXOCNTC 2.2.2.2).
pub const DL_CHECKSUM: NamedProperty = lid(PSETID_ADDRESS, 0x804C, Integer32);
pub const DL_NAME: NamedProperty = lid(PSETID_ADDRESS, 0x8053, String);
pub const DL_ONE_OFF_MEMBERS: NamedProperty = lid(PSETID_ADDRESS, 0x8054, MultipleBinary);
pub const DL_MEMBERS: NamedProperty = lid(PSETID_ADDRESS, 0x8055, MultipleBinary);

/// The five properties of one of a contact's three e-mail addresses (MS-OXOCNTC 2.2.1.2).
#[derive(Clone, Copy, Debug)]
pub struct EmailSlot {
    pub display_name: NamedProperty,
    pub address_type: NamedProperty,
    pub address: NamedProperty,
    pub original_display_name: NamedProperty,
    pub original_entry_id: NamedProperty,
}

const fn email_slot(base: u32) -> EmailSlot {
    EmailSlot {
        display_name: lid(PSETID_ADDRESS, base, String),
        address_type: lid(PSETID_ADDRESS, base + 2, String),
        address: lid(PSETID_ADDRESS, base + 3, String),
        original_display_name: lid(PSETID_ADDRESS, base + 4, String),
        original_entry_id: lid(PSETID_ADDRESS, base + 5, Binary),
    }
}

/// PidLidEmail1* (0x8080…), PidLidEmail2* (0x8090…), PidLidEmail3* (0x80A0…).
pub const EMAIL_SLOTS: [EmailSlot; 3] =
    [email_slot(0x8080), email_slot(0x8090), email_slot(0x80A0)];

// Appointments (PSETID_Appointment).
pub const APPOINTMENT_SEQUENCE: NamedProperty = lid(PSETID_APPOINTMENT, 0x8201, Integer32);
pub const BUSY_STATUS: NamedProperty = lid(PSETID_APPOINTMENT, 0x8205, Integer32);
pub const LOCATION: NamedProperty = lid(PSETID_APPOINTMENT, 0x8208, String);
pub const APPOINTMENT_START_WHOLE: NamedProperty = lid(PSETID_APPOINTMENT, 0x820D, Time);
pub const APPOINTMENT_END_WHOLE: NamedProperty = lid(PSETID_APPOINTMENT, 0x820E, Time);
pub const APPOINTMENT_DURATION: NamedProperty = lid(PSETID_APPOINTMENT, 0x8213, Integer32);
pub const APPOINTMENT_SUB_TYPE: NamedProperty = lid(PSETID_APPOINTMENT, 0x8215, Boolean);
pub const APPOINTMENT_RECUR: NamedProperty = lid(PSETID_APPOINTMENT, 0x8216, Binary);
pub const APPOINTMENT_STATE_FLAGS: NamedProperty = lid(PSETID_APPOINTMENT, 0x8217, Integer32);
pub const RESPONSE_STATUS: NamedProperty = lid(PSETID_APPOINTMENT, 0x8218, Integer32);
pub const RECURRING: NamedProperty = lid(PSETID_APPOINTMENT, 0x8223, Boolean);
pub const INTENDED_BUSY_STATUS: NamedProperty = lid(PSETID_APPOINTMENT, 0x8224, Integer32);
pub const EXCEPTION_REPLACE_TIME: NamedProperty = lid(PSETID_APPOINTMENT, 0x8228, Time);
pub const RECURRENCE_TYPE: NamedProperty = lid(PSETID_APPOINTMENT, 0x8231, Integer32);
pub const TIME_ZONE_STRUCT: NamedProperty = lid(PSETID_APPOINTMENT, 0x8233, Binary);
pub const TIME_ZONE_DESCRIPTION: NamedProperty = lid(PSETID_APPOINTMENT, 0x8234, String);
pub const CLIP_START: NamedProperty = lid(PSETID_APPOINTMENT, 0x8235, Time);
pub const CLIP_END: NamedProperty = lid(PSETID_APPOINTMENT, 0x8236, Time);
pub const TO_ATTENDEES: NamedProperty = lid(PSETID_APPOINTMENT, 0x823B, String);
pub const CC_ATTENDEES: NamedProperty = lid(PSETID_APPOINTMENT, 0x823C, String);
pub const TIME_ZONE_DEFINITION_START: NamedProperty = lid(PSETID_APPOINTMENT, 0x825E, Binary);
pub const TIME_ZONE_DEFINITION_END: NamedProperty = lid(PSETID_APPOINTMENT, 0x825F, Binary);
pub const TIME_ZONE_DEFINITION_RECUR: NamedProperty = lid(PSETID_APPOINTMENT, 0x8260, Binary);

// Meetings (PSETID_Meeting).
pub const GLOBAL_OBJECT_ID: NamedProperty = lid(PSETID_MEETING, 0x0003, Binary);
pub const CLEAN_GLOBAL_OBJECT_ID: NamedProperty = lid(PSETID_MEETING, 0x0023, Binary);
pub const IS_RECURRING: NamedProperty = lid(PSETID_MEETING, 0x0005, Boolean);
pub const IS_EXCEPTION: NamedProperty = lid(PSETID_MEETING, 0x000A, Boolean);

// Reminders and privacy (PSETID_Common).
pub const REMINDER_DELTA: NamedProperty = lid(PSETID_COMMON, 0x8501, Integer32);
pub const REMINDER_TIME: NamedProperty = lid(PSETID_COMMON, 0x8502, Time);
pub const REMINDER_SET: NamedProperty = lid(PSETID_COMMON, 0x8503, Boolean);
pub const PRIVATE: NamedProperty = lid(PSETID_COMMON, 0x8506, Boolean);
pub const COMMON_START: NamedProperty = lid(PSETID_COMMON, 0x8516, Time);
pub const COMMON_END: NamedProperty = lid(PSETID_COMMON, 0x8517, Time);
pub const REMINDER_SIGNAL_TIME: NamedProperty = lid(PSETID_COMMON, 0x8560, Time);

// Tasks (PSETID_Task).
pub const TASK_STATUS: NamedProperty = lid(PSETID_TASK, 0x8101, Integer32);
pub const PERCENT_COMPLETE: NamedProperty = lid(PSETID_TASK, 0x8102, Floating64);
pub const TASK_START_DATE: NamedProperty = lid(PSETID_TASK, 0x8104, Time);
pub const TASK_DUE_DATE: NamedProperty = lid(PSETID_TASK, 0x8105, Time);
pub const TASK_DATE_COMPLETED: NamedProperty = lid(PSETID_TASK, 0x810F, Time);
pub const TASK_STATE: NamedProperty = lid(PSETID_TASK, 0x8113, Integer32);
pub const TASK_COMPLETE: NamedProperty = lid(PSETID_TASK, 0x811C, Boolean);
pub const TASK_OWNERSHIP: NamedProperty = lid(PSETID_TASK, 0x8129, Integer32);
pub const TASK_ACCEPTANCE_STATE: NamedProperty = lid(PSETID_TASK, 0x812A, Integer32);

/// Every named property of contacts, appointments and tasks, in the order that gives their
/// IDs (after the mail properties).
pub const PIM_NAMED: &[NamedProperty] = &[
    FILE_UNDER,
    FILE_UNDER_ID,
    HAS_PICTURE,
    HOME_ADDRESS,
    WORK_ADDRESS,
    OTHER_ADDRESS,
    POSTAL_ADDRESS_ID,
    EMAIL_LIST,
    EMAIL_LIST_TYPE,
    WEB_PAGE,
    WORK_ADDRESS_STREET,
    WORK_ADDRESS_CITY,
    WORK_ADDRESS_STATE,
    WORK_ADDRESS_POSTAL_CODE,
    WORK_ADDRESS_COUNTRY,
    WORK_ADDRESS_PO_BOX,
    INSTANT_MESSAGING,
    EMAIL_SLOTS[0].display_name,
    EMAIL_SLOTS[0].address_type,
    EMAIL_SLOTS[0].address,
    EMAIL_SLOTS[0].original_display_name,
    EMAIL_SLOTS[0].original_entry_id,
    EMAIL_SLOTS[1].display_name,
    EMAIL_SLOTS[1].address_type,
    EMAIL_SLOTS[1].address,
    EMAIL_SLOTS[1].original_display_name,
    EMAIL_SLOTS[1].original_entry_id,
    EMAIL_SLOTS[2].display_name,
    EMAIL_SLOTS[2].address_type,
    EMAIL_SLOTS[2].address,
    EMAIL_SLOTS[2].original_display_name,
    EMAIL_SLOTS[2].original_entry_id,
    APPOINTMENT_SEQUENCE,
    BUSY_STATUS,
    LOCATION,
    APPOINTMENT_START_WHOLE,
    APPOINTMENT_END_WHOLE,
    APPOINTMENT_DURATION,
    APPOINTMENT_SUB_TYPE,
    APPOINTMENT_RECUR,
    APPOINTMENT_STATE_FLAGS,
    RESPONSE_STATUS,
    RECURRING,
    INTENDED_BUSY_STATUS,
    EXCEPTION_REPLACE_TIME,
    RECURRENCE_TYPE,
    TIME_ZONE_STRUCT,
    TIME_ZONE_DESCRIPTION,
    CLIP_START,
    CLIP_END,
    TO_ATTENDEES,
    CC_ATTENDEES,
    TIME_ZONE_DEFINITION_START,
    TIME_ZONE_DEFINITION_END,
    TIME_ZONE_DEFINITION_RECUR,
    GLOBAL_OBJECT_ID,
    CLEAN_GLOBAL_OBJECT_ID,
    IS_RECURRING,
    IS_EXCEPTION,
    REMINDER_DELTA,
    REMINDER_TIME,
    REMINDER_SET,
    PRIVATE,
    COMMON_START,
    COMMON_END,
    REMINDER_SIGNAL_TIME,
    TASK_STATUS,
    PERCENT_COMPLETE,
    TASK_START_DATE,
    TASK_DUE_DATE,
    TASK_DATE_COMPLETED,
    TASK_STATE,
    TASK_COMPLETE,
    TASK_OWNERSHIP,
    TASK_ACCEPTANCE_STATE,
    DL_CHECKSUM,
    DL_NAME,
    DL_ONE_OFF_MEMBERS,
    DL_MEMBERS,
];

const fn string_tag(id: u16) -> PropTag {
    PropTag::new(id, PropType::String)
}

// Contacts' tagged properties (MS-OXOCNTC 2.2.1, MS-OXPROPS).
pub const GENERATION: PropTag = string_tag(0x3A05);
pub const GIVEN_NAME: PropTag = string_tag(0x3A06);
pub const BUSINESS_TELEPHONE: PropTag = string_tag(0x3A08);
pub const HOME_TELEPHONE: PropTag = string_tag(0x3A09);
pub const INITIALS: PropTag = string_tag(0x3A0A);
pub const SURNAME: PropTag = string_tag(0x3A11);
pub const POSTAL_ADDRESS: PropTag = string_tag(0x3A15);
pub const COMPANY_NAME: PropTag = string_tag(0x3A16);
pub const TITLE: PropTag = string_tag(0x3A17);
pub const DEPARTMENT_NAME: PropTag = string_tag(0x3A18);
pub const PRIMARY_TELEPHONE: PropTag = string_tag(0x3A1A);
pub const BUSINESS2_TELEPHONE: PropTag = string_tag(0x3A1B);
pub const MOBILE_TELEPHONE: PropTag = string_tag(0x3A1C);
pub const CAR_TELEPHONE: PropTag = string_tag(0x3A1E);
pub const OTHER_TELEPHONE: PropTag = string_tag(0x3A1F);
pub const PAGER_TELEPHONE: PropTag = string_tag(0x3A21);
pub const BUSINESS_FAX: PropTag = string_tag(0x3A24);
pub const HOME_FAX: PropTag = string_tag(0x3A25);
pub const COUNTRY: PropTag = string_tag(0x3A26);
pub const LOCALITY: PropTag = string_tag(0x3A27);
pub const STATE_OR_PROVINCE: PropTag = string_tag(0x3A28);
pub const STREET_ADDRESS: PropTag = string_tag(0x3A29);
pub const POSTAL_CODE: PropTag = string_tag(0x3A2A);
pub const POST_OFFICE_BOX: PropTag = string_tag(0x3A2B);
pub const HOME2_TELEPHONE: PropTag = string_tag(0x3A2F);
pub const WEDDING_ANNIVERSARY: PropTag = PropTag::new(0x3A41, PropType::Time);
pub const BIRTHDAY: PropTag = PropTag::new(0x3A42, PropType::Time);
pub const MIDDLE_NAME: PropTag = string_tag(0x3A44);
pub const DISPLAY_NAME_PREFIX: PropTag = string_tag(0x3A45);
pub const SPOUSE_NAME: PropTag = string_tag(0x3A48);
pub const NICKNAME: PropTag = string_tag(0x3A4F);
pub const PERSONAL_HOME_PAGE: PropTag = string_tag(0x3A50);
pub const HOME_ADDRESS_CITY: PropTag = string_tag(0x3A59);
pub const HOME_ADDRESS_COUNTRY: PropTag = string_tag(0x3A5A);
pub const HOME_ADDRESS_POSTAL_CODE: PropTag = string_tag(0x3A5B);
pub const HOME_ADDRESS_STATE: PropTag = string_tag(0x3A5C);
pub const HOME_ADDRESS_STREET: PropTag = string_tag(0x3A5D);
pub const HOME_ADDRESS_PO_BOX: PropTag = string_tag(0x3A5E);
pub const OTHER_ADDRESS_CITY: PropTag = string_tag(0x3A5F);
pub const OTHER_ADDRESS_COUNTRY: PropTag = string_tag(0x3A60);
pub const OTHER_ADDRESS_POSTAL_CODE: PropTag = string_tag(0x3A61);
pub const OTHER_ADDRESS_STATE: PropTag = string_tag(0x3A62);
pub const OTHER_ADDRESS_STREET: PropTag = string_tag(0x3A63);
pub const OTHER_ADDRESS_PO_BOX: PropTag = string_tag(0x3A64);

// Attachments of contacts (the picture) and of recurring series (exceptions).
/// PidTagAttachmentContactPhoto (MS-OXOCNTC 2.2.1.8.2).
pub const ATTACHMENT_CONTACT_PHOTO: PropTag = PropTag::new(0x7FFF, PropType::Boolean);
/// PidTagAttachmentFlags; afException = 2 (MS-OXOCAL 2.2.10.1.2).
pub const ATTACHMENT_FLAGS: PropTag = PropTag::new(0x7FFD, PropType::Integer32);
pub const EXCEPTION_START_TIME: PropTag = PropTag::new(0x7FFB, PropType::Time);
pub const EXCEPTION_END_TIME: PropTag = PropTag::new(0x7FFC, PropType::Time);
pub const EXCEPTION_REPLACE_TIME_TAG: PropTag = PropTag::new(0x7FF9, PropType::Time);
/// PidTagAttachmentLinkId: 0.
pub const ATTACHMENT_LINK_ID: PropTag = PropTag::new(0x7FFA, PropType::Integer32);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_set_guids_are_stored_little_endian() {
        // {00062004-0000-0000-C000-000000000046}
        assert_eq!(
            PSETID_ADDRESS,
            [4, 0x20, 6, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46]
        );
    }

    #[test]
    fn no_named_property_is_listed_twice() {
        for (i, a) in PIM_NAMED.iter().enumerate() {
            for b in &PIM_NAMED[i + 1..] {
                assert!(a.set != b.set || a.name != b.name, "{a:?}");
            }
        }
    }
}
