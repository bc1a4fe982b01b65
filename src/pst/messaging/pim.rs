//! The properties of contacts (MS-OXOCNTC 2.2.1), appointments (MS-OXOCAL 2.2.1) and tasks
//! (MS-OXOTASK 2.2.2), set over a message's own (subject, body, categories), and the objects
//! these items carry besides: the attendees of a meeting as its recipients (MS-OXOCAL
//! 2.2.4.10), a contact's picture and a series' exceptions as attachments (MS-OXOCNTC 2.2.1.8,
//! MS-OXOCAL 2.2.10.1). The rules are listed in docs/outlook-conformance-pim.md.

use crate::pst::item::{
    AddressKind, Appointment, AttendeeRole, Contact, DistList, Item, PhoneKind, Recurrence,
    RecurrenceEnd, RecurrenceException, Response, Task,
};
use crate::pst::ltp::{PropTag, PropValue};
use crate::pst::mail::{Address, Attachment, AttachmentContent, Message, Recipient, RecipientKind};
use crate::pst::messaging::entry_id::one_off_entry_id;
use crate::pst::messaging::message::SMTP;
use crate::pst::messaging::name_map::{NamedProperty, tag_of};
use crate::pst::messaging::pim_names::{self as names, *};
use crate::pst::messaging::props::Props;
use crate::pst::messaging::recurrence::{
    NEVER_END_DATE, appointment_recurrence_pattern, recurrence_type, time_zone_definition,
    time_zone_struct,
};
use crate::pst::messaging::tags;

/// The message class of an exception's embedded message (MS-OXOCAL 2.2.10.2).
pub const EXCEPTION_CLASS: &str = "IPM.OLE.CLASS.{00061055-0000-0000-C000-000000000046}";
/// PidTagIconIndex of items (MS-OXOCAL 2.2.1.49, MS-OXOTASK 2.2.2.2, MS-OXOCNTC 2.2.1.10).
const ICON_CONTACT: i32 = 0x0200;
/// PidTagIconIndex of a distribution list (MS-OXOCNTC 2.2.2.1.3).
const ICON_DIST_LIST: i32 = 0x0202;
const ICON_APPOINTMENT: i32 = 0x0400;
const ICON_RECURRING_APPOINTMENT: i32 = 0x0401;
const ICON_MEETING: i32 = 0x0402;
const ICON_RECURRING_MEETING: i32 = 0x0403;
const ICON_TASK: i32 = 0x0500;
/// PidLidAppointmentStateFlags: asfMeeting | asfReceived.
const MEETING_RECEIVED: i32 = 0x1 | 0x2;
/// PidTagSensitivity "private".
const SENSITIVITY_PRIVATE: i32 = 2;
/// PidLidFileUnderId values (MS-OXOCNTC 2.2.1.1.12).
const FILE_UNDER_SURNAME_GIVEN: i32 = 0x8017;
const FILE_UNDER_DISPLAY_NAME: i32 = 0x3001;
const FILE_UNDER_COMPANY: i32 = 0x3A16;
/// PidLidPostalAddressId: which address is the mailing address.
fn postal_address_id(kind: AddressKind) -> i32 {
    match kind {
        AddressKind::Home => 1,
        AddressKind::Work => 2,
        AddressKind::Other => 3,
    }
}
/// Ticks of a minute.
const MINUTE: u64 = 600_000_000;

fn named(props: &mut Props<'_>, property: NamedProperty, value: PropValue<'static>) {
    props.set(tag_of(property), value);
}

fn named_string<'a>(props: &mut Props<'a>, property: NamedProperty, value: &'a str) {
    props.string(tag_of(property), value);
}

fn optional<'a>(props: &mut Props<'a>, tag: PropTag, value: &'a Option<String>) {
    if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
        props.string(tag, value);
    }
}

fn optional_named<'a>(props: &mut Props<'a>, property: NamedProperty, value: &'a Option<String>) {
    optional(props, tag_of(property), value);
}

/// Sets the properties of `item` over the message's own.
pub fn item_properties<'a>(props: &mut Props<'a>, item: &'a Item) {
    match item {
        Item::Contact(contact) => contact_properties(props, contact),
        Item::Appointment(appointment) => appointment_properties(props, appointment),
        Item::Task(task) => task_properties(props, task),
        Item::DistList(list) => dist_list_properties(props, list),
    }
}

/// "Surname, Given Middle", the form Outlook files contacts under.
fn file_under(contact: &Contact) -> Option<(String, i32)> {
    let given: Vec<&str> = [&contact.given_name, &contact.middle_name]
        .into_iter()
        .filter_map(|p| p.as_deref().filter(|p| !p.is_empty()))
        .collect();
    match (
        contact.surname.as_deref().filter(|s| !s.is_empty()),
        given.is_empty(),
    ) {
        (Some(surname), false) => Some((
            format!("{surname}, {}", given.join(" ")),
            FILE_UNDER_SURNAME_GIVEN,
        )),
        (Some(surname), true) => Some((surname.to_owned(), FILE_UNDER_SURNAME_GIVEN)),
        (None, _) => {
            if let Some(name) = contact.display_name.as_deref().filter(|n| !n.is_empty()) {
                Some((name.to_owned(), FILE_UNDER_DISPLAY_NAME))
            } else {
                contact
                    .company
                    .as_deref()
                    .filter(|c| !c.is_empty())
                    .map(|c| (c.to_owned(), FILE_UNDER_COMPANY))
            }
        }
    }
}

fn phone_tag(kind: PhoneKind) -> PropTag {
    match kind {
        PhoneKind::Business => BUSINESS_TELEPHONE,
        PhoneKind::Business2 => BUSINESS2_TELEPHONE,
        PhoneKind::Home => HOME_TELEPHONE,
        PhoneKind::Home2 => HOME2_TELEPHONE,
        PhoneKind::Mobile => MOBILE_TELEPHONE,
        PhoneKind::BusinessFax => BUSINESS_FAX,
        PhoneKind::HomeFax => HOME_FAX,
        PhoneKind::Pager => PAGER_TELEPHONE,
        PhoneKind::Car => CAR_TELEPHONE,
        PhoneKind::Primary => PRIMARY_TELEPHONE,
        PhoneKind::Other => OTHER_TELEPHONE,
    }
}

/// The properties of one kind of postal address: street, city, state, postal code, country,
/// post office box, and the whole address.
fn address_tags(kind: AddressKind) -> [PropTag; 7] {
    match kind {
        AddressKind::Home => [
            HOME_ADDRESS_STREET,
            HOME_ADDRESS_CITY,
            HOME_ADDRESS_STATE,
            HOME_ADDRESS_POSTAL_CODE,
            HOME_ADDRESS_COUNTRY,
            HOME_ADDRESS_PO_BOX,
            tag_of(HOME_ADDRESS),
        ],
        AddressKind::Work => [
            tag_of(WORK_ADDRESS_STREET),
            tag_of(WORK_ADDRESS_CITY),
            tag_of(WORK_ADDRESS_STATE),
            tag_of(WORK_ADDRESS_POSTAL_CODE),
            tag_of(WORK_ADDRESS_COUNTRY),
            tag_of(WORK_ADDRESS_PO_BOX),
            tag_of(WORK_ADDRESS),
        ],
        AddressKind::Other => [
            OTHER_ADDRESS_STREET,
            OTHER_ADDRESS_CITY,
            OTHER_ADDRESS_STATE,
            OTHER_ADDRESS_POSTAL_CODE,
            OTHER_ADDRESS_COUNTRY,
            OTHER_ADDRESS_PO_BOX,
            tag_of(OTHER_ADDRESS),
        ],
    }
}

/// The mailing address's properties (MS-OXOCNTC 2.2.1.3.9).
const MAILING_ADDRESS_TAGS: [PropTag; 7] = [
    STREET_ADDRESS,
    LOCALITY,
    STATE_OR_PROVINCE,
    POSTAL_CODE,
    COUNTRY,
    POST_OFFICE_BOX,
    POSTAL_ADDRESS,
];

fn contact_properties<'a>(props: &mut Props<'a>, contact: &'a Contact) {
    props.int(tags::ICON_INDEX, ICON_CONTACT);
    optional(props, tags::DISPLAY_NAME, &contact.display_name);
    optional(props, GIVEN_NAME, &contact.given_name);
    optional(props, MIDDLE_NAME, &contact.middle_name);
    optional(props, SURNAME, &contact.surname);
    optional(props, DISPLAY_NAME_PREFIX, &contact.prefix);
    optional(props, GENERATION, &contact.suffix);
    optional(props, NICKNAME, &contact.nickname);
    optional(props, COMPANY_NAME, &contact.company);
    optional(props, DEPARTMENT_NAME, &contact.department);
    optional(props, TITLE, &contact.job_title);
    optional(props, SPOUSE_NAME, &contact.spouse);
    optional(props, PERSONAL_HOME_PAGE, &contact.web_page);
    optional_named(props, WEB_PAGE, &contact.web_page);
    optional_named(props, INSTANT_MESSAGING, &contact.instant_messaging);
    let initials: String = [&contact.given_name, &contact.middle_name, &contact.surname]
        .into_iter()
        .filter_map(|p| p.as_deref()?.chars().next())
        .flat_map(|c| [c, '.'])
        .collect();
    if !initials.is_empty() {
        props.string(INITIALS, initials);
    }
    if let Some((text, id)) = file_under(contact) {
        props.string(tag_of(FILE_UNDER), text);
        props.int(tag_of(FILE_UNDER_ID), id);
    }

    let mut list = Vec::new();
    let mut list_type = 0;
    for (index, (email, slot)) in contact.emails.iter().zip(&EMAIL_SLOTS).enumerate() {
        if email.email.is_empty() {
            continue;
        }
        let display = match email.name.as_deref().filter(|n| !n.is_empty()) {
            Some(name) => format!("{name} ({})", email.email),
            None => email.email.clone(),
        };
        props.string(tag_of(slot.display_name), display.clone());
        named_string(props, slot.address_type, SMTP);
        named_string(props, slot.address, email.email.as_str());
        named_string(props, slot.original_display_name, email.email.as_str());
        props.binary(
            tag_of(slot.original_entry_id),
            one_off_entry_id(&display, SMTP, &email.email),
        );
        list.push(index as i32);
        list_type |= 1 << index;
    }
    if !list.is_empty() {
        named(props, EMAIL_LIST, PropValue::MultipleInteger32(list));
        props.int(tag_of(EMAIL_LIST_TYPE), list_type);
    }

    for (kind, number) in &contact.phones {
        let tag = phone_tag(*kind);
        // The first number of a kind wins; Outlook has one field per kind.
        if props.get(tag).is_none() && !number.is_empty() {
            props.string(tag, number.as_str());
        }
    }

    let mut mailing = None;
    for (kind, address) in &contact.addresses {
        let tags = address_tags(*kind);
        if props.get(tags[6]).is_some() {
            continue;
        }
        set_address_parts(props, &tags, address);
        mailing.get_or_insert((*kind, address));
    }
    if let Some((kind, address)) = mailing {
        set_address_parts(props, &MAILING_ADDRESS_TAGS, address);
        props.int(tag_of(POSTAL_ADDRESS_ID), postal_address_id(kind));
    }

    if let Some(birthday) = contact.birthday {
        props.time(BIRTHDAY, birthday.0);
    }
    if let Some(anniversary) = contact.anniversary {
        props.time(WEDDING_ANNIVERSARY, anniversary.0);
    }
    props.boolean(tag_of(HAS_PICTURE), contact.photo.is_some());
}

/// A personal distribution list (MS-OXOCNTC 2.2.2): its name, and each member as a one-off
/// EntryID in both member lists, with the CRC-32 of the members' EntryIDs.
fn dist_list_properties<'a>(props: &mut Props<'a>, list: &'a DistList) {
    props.int(tags::ICON_INDEX, ICON_DIST_LIST);
    props.string(tags::DISPLAY_NAME, list.name.as_str());
    named_string(props, DL_NAME, list.name.as_str());
    props.string(tag_of(FILE_UNDER), list.name.as_str());
    let members: Vec<Vec<u8>> = list
        .members
        .iter()
        .map(|member| {
            let name = member.name.as_deref().unwrap_or(&member.email);
            one_off_entry_id(name, SMTP, &member.email)
        })
        .collect();
    let mut checksum = crc32fast::Hasher::new();
    for member in &members {
        checksum.update(member);
    }
    props.int(tag_of(DL_CHECKSUM), checksum.finalize() as i32);
    named(
        props,
        DL_ONE_OFF_MEMBERS,
        PropValue::MultipleBinary(members.clone()),
    );
    named(props, DL_MEMBERS, PropValue::MultipleBinary(members));
}

fn set_address_parts<'a>(
    props: &mut Props<'a>,
    tags: &[PropTag; 7],
    address: &'a crate::pst::item::PostalAddress,
) {
    let parts = [
        &address.street,
        &address.city,
        &address.region,
        &address.postal_code,
        &address.country,
        &address.post_office_box,
    ];
    for (tag, part) in tags.iter().zip(parts) {
        optional(props, *tag, part);
    }
    let full = address.full();
    if !full.is_empty() {
        props.string(tags[6], full);
    }
}

/// The names of the attendees of one role joined by "; ".
fn attendee_names(appointment: &Appointment, role: AttendeeRole) -> String {
    appointment
        .attendees
        .iter()
        .filter(|a| a.role == role)
        .map(|a| a.address.display())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Midnight of a local day as the FILETIME Outlook stores in PidLidClipStart/End.
fn local_filetime(minutes: u32) -> u64 {
    u64::from(minutes) * MINUTE
}

fn appointment_properties<'a>(props: &mut Props<'a>, appointment: &'a Appointment) {
    let meeting = !appointment.attendees.is_empty();
    let recurring = appointment.recurrence.is_some();
    if appointment.replaces.is_some() {
        props.string(tags::MESSAGE_CLASS, EXCEPTION_CLASS);
    }
    props.int(
        tags::ICON_INDEX,
        match (meeting, recurring) {
            (false, false) => ICON_APPOINTMENT,
            (false, true) => ICON_RECURRING_APPOINTMENT,
            (true, false) => ICON_MEETING,
            (true, true) => ICON_RECURRING_MEETING,
        },
    );
    let start = appointment.start.0;
    let end = appointment.end.0.max(start);
    props.time(tag_of(APPOINTMENT_START_WHOLE), start);
    props.time(tag_of(APPOINTMENT_END_WHOLE), end);
    props.time(tag_of(COMMON_START), start);
    props.time(tag_of(COMMON_END), end);
    let minutes = i32::try_from((end - start) / MINUTE).unwrap_or(i32::MAX);
    props.int(tag_of(APPOINTMENT_DURATION), minutes);
    props.boolean(tag_of(APPOINTMENT_SUB_TYPE), appointment.all_day);
    props.int(tag_of(BUSY_STATUS), appointment.busy_status.value());
    props.int(
        tag_of(INTENDED_BUSY_STATUS),
        appointment.busy_status.value(),
    );
    optional_named(props, LOCATION, &appointment.location);
    props.int(tag_of(APPOINTMENT_SEQUENCE), appointment.sequence);
    props.int(
        tag_of(APPOINTMENT_STATE_FLAGS),
        if meeting { MEETING_RECEIVED } else { 0 },
    );
    props.int(
        tag_of(RESPONSE_STATUS),
        if meeting {
            Response::NotResponded.value()
        } else {
            Response::None.value()
        },
    );
    if meeting {
        props.string(
            tags::DISPLAY_TO,
            attendee_names(appointment, AttendeeRole::Required),
        );
        props.string(
            tags::DISPLAY_CC,
            attendee_names(appointment, AttendeeRole::Optional),
        );
        props.string(
            tag_of(TO_ATTENDEES),
            attendee_names(appointment, AttendeeRole::Required),
        );
        props.string(
            tag_of(CC_ATTENDEES),
            attendee_names(appointment, AttendeeRole::Optional),
        );
    }
    reminder(props, appointment.reminder_minutes, start);
    if appointment.private {
        props.boolean(tag_of(PRIVATE), true);
        props.int(tags::SENSITIVITY, SENSITIVITY_PRIVATE);
    }
    if let Some(zone) = &appointment.time_zone {
        props.string(tag_of(TIME_ZONE_DESCRIPTION), zone.name.as_str());
        props.binary(
            tag_of(TIME_ZONE_DEFINITION_START),
            time_zone_definition(zone, false),
        );
        props.binary(
            tag_of(TIME_ZONE_DEFINITION_END),
            time_zone_definition(zone, false),
        );
        if recurring {
            props.binary(tag_of(TIME_ZONE_STRUCT), time_zone_struct(zone));
            props.binary(
                tag_of(TIME_ZONE_DEFINITION_RECUR),
                time_zone_definition(zone, true),
            );
        }
    }
    match &appointment.recurrence {
        Some(recurrence) => {
            props.boolean(tag_of(RECURRING), true);
            props.boolean(tag_of(IS_RECURRING), true);
            props.int(tag_of(RECURRENCE_TYPE), recurrence_type(recurrence.pattern));
            props.binary(
                tag_of(APPOINTMENT_RECUR),
                appointment_recurrence_pattern(recurrence),
            );
            props.time(tag_of(CLIP_START), local_filetime(recurrence.start_date));
            let clip_end = match recurrence.end {
                RecurrenceEnd::Never => NEVER_END_DATE,
                _ => recurrence.end_date,
            };
            props.time(tag_of(CLIP_END), local_filetime(clip_end));
        }
        None => {
            props.boolean(tag_of(RECURRING), false);
            props.int(tag_of(RECURRENCE_TYPE), 0);
            props.time(tag_of(CLIP_START), start);
            props.time(tag_of(CLIP_END), end);
        }
    }
    if let Some(replaces) = appointment.replaces {
        props.time(tag_of(EXCEPTION_REPLACE_TIME), replaces.0);
        props.boolean(tag_of(IS_EXCEPTION), true);
    }
    if let Some(uid) = &appointment.uid {
        let instance = appointment.replaces.map(|t| t.to_unix());
        props.binary(tag_of(GLOBAL_OBJECT_ID), global_object_id(uid, instance));
        props.binary(tag_of(CLEAN_GLOBAL_OBJECT_ID), global_object_id(uid, None));
    }
}

/// PidLidReminderSet, -Delta, -Time and -SignalTime (MS-OXORMDR 2.2.1).
fn reminder(props: &mut Props<'_>, minutes_before: Option<i32>, start: u64) {
    match minutes_before {
        Some(minutes) => {
            props.boolean(tag_of(REMINDER_SET), true);
            props.int(tag_of(REMINDER_DELTA), minutes);
            props.time(tag_of(REMINDER_TIME), start);
            let signal = start.saturating_add_signed(-i64::from(minutes) * MINUTE as i64);
            props.time(tag_of(REMINDER_SIGNAL_TIME), signal);
        }
        None => props.boolean(tag_of(REMINDER_SET), false),
    }
}

/// The header of a global object ID (MS-OXOCAL 2.2.1.27).
const GLOBAL_OBJECT_ID_HEADER: [u8; 16] = [
    0x04, 0x00, 0x00, 0x00, 0x82, 0x00, 0xE0, 0x00, 0x74, 0xC5, 0xB7, 0x10, 0x1A, 0x82, 0xE0, 0x08,
];

/// PidLidGlobalObjectId of a series (`instance` None) or of the occurrence on a day (Unix
/// seconds of its original start). A UID that is an Outlook ID in hexadecimal is that ID;
/// any other is kept in the "vCal-Uid" form of MS-OXCICAL 2.1.3.1.1.20.26.
pub fn global_object_id(uid: &str, instance: Option<i64>) -> Vec<u8> {
    let hex_id = (uid.len() >= 2 * 40 && uid.len().is_multiple_of(2))
        .then(|| {
            (0..uid.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(uid.get(i..i + 2)?, 16).ok())
                .collect::<Option<Vec<u8>>>()
        })
        .flatten()
        .filter(|bytes| bytes.starts_with(&GLOBAL_OBJECT_ID_HEADER));
    let mut id = match hex_id {
        Some(bytes) => bytes,
        None => {
            let mut id = GLOBAL_OBJECT_ID_HEADER.to_vec();
            id.extend_from_slice(&[0; 4]); // YH YL M D
            id.extend_from_slice(&[0; 8]); // creation time
            id.extend_from_slice(&[0; 8]); // X
            let mut data = b"vCal-Uid".to_vec();
            data.extend_from_slice(&1u32.to_le_bytes());
            data.extend_from_slice(uid.as_bytes());
            data.push(0);
            id.extend_from_slice(&(data.len() as u32).to_le_bytes());
            id.extend_from_slice(&data);
            id
        }
    };
    if id.len() >= 20 {
        let (year, month, day) = instance.map_or((0, 0, 0), utc_date);
        id[16..18].copy_from_slice(&year.to_be_bytes());
        id[18] = month;
        id[19] = day;
    }
    id
}

/// The UTC date of a Unix time: year, month, day.
fn utc_date(seconds: i64) -> (u16, u8, u8) {
    let days = seconds.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (u16::try_from(year).unwrap_or(0), month, day)
}

fn task_properties<'a>(props: &mut Props<'a>, task: &'a Task) {
    props.int(tags::ICON_INDEX, ICON_TASK);
    props.int(tag_of(TASK_STATUS), task.status.value());
    named(
        props,
        PERCENT_COMPLETE,
        PropValue::Floating64(f64::from(task.percent_complete.min(100)) / 100.0),
    );
    if let Some(start) = task.start {
        props.time(tag_of(TASK_START_DATE), start.0);
        props.time(tag_of(COMMON_START), start.0);
    }
    if let Some(due) = task.due {
        props.time(tag_of(TASK_DUE_DATE), due.0);
        props.time(tag_of(COMMON_END), due.0);
    }
    if let Some(completed) = task.completed {
        props.time(tag_of(TASK_DATE_COMPLETED), completed.0);
    }
    props.boolean(
        tag_of(TASK_COMPLETE),
        task.status == crate::pst::item::TaskStatus::Complete,
    );
    props.int(tag_of(TASK_STATE), 1);
    props.int(tag_of(TASK_OWNERSHIP), 0);
    props.int(tag_of(TASK_ACCEPTANCE_STATE), 0);
    match task.reminder {
        Some(at) => {
            props.boolean(tag_of(REMINDER_SET), true);
            props.time(tag_of(REMINDER_TIME), at.0);
            props.time(tag_of(REMINDER_SIGNAL_TIME), at.0);
        }
        None => props.boolean(tag_of(REMINDER_SET), false),
    }
    if task.private {
        props.boolean(tag_of(PRIVATE), true);
        props.int(tags::SENSITIVITY, SENSITIVITY_PRIVATE);
    }
}

/// PidTagRecipientFlags: recipSendable, and recipOrganizer for the organizer.
const RECIP_SENDABLE: i32 = 0x0001;
const RECIP_ORGANIZER: i32 = 0x0002;

/// One row of a meeting's recipient table: the attendee, its type, flags and answer.
#[derive(Clone, Debug)]
pub struct AttendeeRow {
    pub recipient: Recipient,
    pub flags: i32,
    pub track_status: i32,
}

/// The recipients of a meeting: the organizer first (when the message has one), then every
/// attendee other than the organizer (MS-OXOCAL 2.2.4.10).
pub fn attendee_rows(message: &Message, appointment: &Appointment) -> Vec<AttendeeRow> {
    let mut rows = Vec::new();
    if appointment.attendees.is_empty() {
        return rows;
    }
    let organizer = message.from.as_ref();
    if let Some(organizer) = organizer {
        rows.push(AttendeeRow {
            recipient: Recipient {
                kind: RecipientKind::To,
                address: organizer.clone(),
            },
            flags: RECIP_SENDABLE | RECIP_ORGANIZER,
            track_status: Response::None.value(),
        });
    }
    for attendee in &appointment.attendees {
        let same = |o: &Address| {
            !o.email.is_empty() && o.email.eq_ignore_ascii_case(&attendee.address.email)
        };
        if organizer.is_some_and(same) {
            continue;
        }
        let kind = match attendee.role {
            AttendeeRole::Required => RecipientKind::To,
            AttendeeRole::Optional => RecipientKind::Cc,
            AttendeeRole::Resource => RecipientKind::Bcc,
        };
        rows.push(AttendeeRow {
            recipient: Recipient {
                kind,
                address: attendee.address.clone(),
            },
            flags: RECIP_SENDABLE,
            track_status: attendee.response.value(),
        });
    }
    rows
}

/// The embedded message of one exception (MS-OXOCAL 2.2.10.2): the series' values with the
/// exception's own over them.
pub fn exception_message(
    series: &Message,
    appointment: &Appointment,
    exception: &RecurrenceException,
) -> Message {
    let item = Appointment {
        start: exception.start,
        end: exception.end,
        all_day: exception.all_day.unwrap_or(appointment.all_day),
        time_zone: appointment.time_zone.clone(),
        location: exception
            .location
            .clone()
            .or_else(|| appointment.location.clone()),
        busy_status: exception.busy_status.unwrap_or(appointment.busy_status),
        reminder_minutes: exception
            .reminder_minutes
            .unwrap_or(appointment.reminder_minutes),
        attendees: appointment.attendees.clone(),
        recurrence: None,
        private: appointment.private,
        uid: appointment.uid.clone(),
        sequence: appointment.sequence,
        replaces: Some(exception.original_start),
    };
    Message {
        subject: exception.subject.clone().or_else(|| series.subject.clone()),
        from: series.from.clone(),
        body_text: exception.body.clone().or_else(|| series.body_text.clone()),
        categories: series.categories.clone(),
        state: series.state,
        item: Some(Box::new(Item::Appointment(item))),
        ..Message::default()
    }
}

/// The attachments an item brings besides the message's own, each with the properties that
/// mark it: a contact's picture, a series' exceptions.
pub fn item_attachments(
    message: &Message,
) -> Vec<(Attachment, Vec<(PropTag, PropValue<'static>)>)> {
    let mut out = Vec::new();
    match message.item.as_deref() {
        Some(Item::Contact(contact)) => {
            if let Some(photo) = &contact.photo {
                let attachment = Attachment {
                    filename: Some(format!("ContactPicture.{}", photo.extension)),
                    mime_type: None,
                    content_id: None,
                    content_location: None,
                    hidden: false,
                    content: AttachmentContent::Data(photo.data.clone()),
                };
                out.push((
                    attachment,
                    vec![
                        (ATTACHMENT_CONTACT_PHOTO, PropValue::Boolean(true)),
                        (tags::ATTACHMENT_HIDDEN, PropValue::Boolean(true)),
                    ],
                ));
            }
        }
        Some(Item::Appointment(appointment)) => {
            if let Some(recurrence) = &appointment.recurrence {
                out.extend(exception_attachments(message, appointment, recurrence));
            }
        }
        Some(Item::Task(_) | Item::DistList(_)) | None => {}
    }
    out
}

fn exception_attachments(
    message: &Message,
    appointment: &Appointment,
    recurrence: &Recurrence,
) -> Vec<(Attachment, Vec<(PropTag, PropValue<'static>)>)> {
    let mut exceptions: Vec<&RecurrenceException> = recurrence.exceptions.iter().collect();
    exceptions.sort_by_key(|e| e.start_local);
    exceptions
        .into_iter()
        .map(|exception| {
            let inner = exception_message(message, appointment, exception);
            let attachment = Attachment {
                filename: None,
                mime_type: None,
                content_id: None,
                content_location: None,
                hidden: false,
                content: AttachmentContent::Message(Box::new(inner)),
            };
            let extra = vec![
                (tags::ATTACHMENT_HIDDEN, PropValue::Boolean(true)),
                (ATTACHMENT_FLAGS, PropValue::Integer32(2)),
                (ATTACHMENT_LINK_ID, PropValue::Integer32(0)),
                (
                    EXCEPTION_START_TIME,
                    PropValue::Time(local_filetime(exception.start_local)),
                ),
                (
                    EXCEPTION_END_TIME,
                    PropValue::Time(local_filetime(exception.end_local)),
                ),
                (
                    EXCEPTION_REPLACE_TIME_TAG,
                    PropValue::Time(exception.original_start.0),
                ),
            ];
            (attachment, extra)
        })
        .collect()
}

/// The contents-table columns of a folder of contacts, appointments or tasks beyond mail's:
/// what Outlook's default views of such folders show and sort by.
pub fn extra_columns(class: crate::pst::item::FolderClass) -> Vec<PropTag> {
    use crate::pst::item::FolderClass;
    let keywords = tag_of(crate::pst::messaging::name_map::KEYWORDS);
    match class {
        FolderClass::Mail => Vec::new(),
        FolderClass::Contacts => vec![
            tags::DISPLAY_NAME,
            tag_of(FILE_UNDER),
            GIVEN_NAME,
            SURNAME,
            COMPANY_NAME,
            TITLE,
            DEPARTMENT_NAME,
            BUSINESS_TELEPHONE,
            HOME_TELEPHONE,
            MOBILE_TELEPHONE,
            BUSINESS_FAX,
            tag_of(EMAIL_SLOTS[0].display_name),
            tag_of(EMAIL_SLOTS[0].address),
            tag_of(names::WORK_ADDRESS),
            tag_of(names::HOME_ADDRESS),
            keywords,
        ],
        FolderClass::Calendar => vec![
            tag_of(APPOINTMENT_START_WHOLE),
            tag_of(APPOINTMENT_END_WHOLE),
            tag_of(APPOINTMENT_DURATION),
            tag_of(APPOINTMENT_SUB_TYPE),
            tag_of(LOCATION),
            tag_of(BUSY_STATUS),
            tag_of(RECURRING),
            tag_of(RECURRENCE_TYPE),
            tag_of(CLIP_START),
            tag_of(CLIP_END),
            tag_of(REMINDER_SET),
            tags::ICON_INDEX,
            keywords,
        ],
        FolderClass::Tasks => vec![
            tag_of(TASK_STATUS),
            tag_of(PERCENT_COMPLETE),
            tag_of(TASK_START_DATE),
            tag_of(TASK_DUE_DATE),
            tag_of(TASK_DATE_COMPLETED),
            tag_of(TASK_COMPLETE),
            tag_of(REMINDER_SET),
            tags::ICON_INDEX,
            keywords,
        ],
    }
}
