//! Items that are not mail: contacts ([MS-OXOCNTC]), appointments ([MS-OXOCAL]) and tasks
//! ([MS-OXOTASK]), in MAPI terms. A [`Message`](crate::pst::Message) carries one of these in
//! its `item` field; its subject, body, categories and attachments are the item's own.
//! Nothing here knows vCard or iCalendar: `convert/` fills these from parsed sources.
//!
//! [MS-OXOCNTC]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxocntc/9b636532-9150-4836-9635-9c9b756c9ccf
//! [MS-OXOCAL]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxocal/09861fde-c8e4-4028-9346-e7c214cfdba1
//! [MS-OXOTASK]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxotask/55600ec0-6195-4730-8436-59c7931ef27e

use crate::pst::mail::{Address, FileTime};

/// What kind of folder a PST folder is: Outlook shows a folder's items by its container class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FolderClass {
    #[default]
    Mail,
    Contacts,
    Calendar,
    Tasks,
}

impl FolderClass {
    /// PidTagContainerClass of the folder.
    pub fn container_class(self) -> &'static str {
        match self {
            FolderClass::Mail => "IPF.Note",
            FolderClass::Contacts => "IPF.Contact",
            FolderClass::Calendar => "IPF.Appointment",
            FolderClass::Tasks => "IPF.Task",
        }
    }
}

/// The non-mail content of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Contact(Contact),
    Appointment(Appointment),
    Task(Task),
    DistList(DistList),
}

impl Item {
    /// PidTagMessageClass of the item.
    pub fn message_class(&self) -> &'static str {
        match self {
            Item::Contact(_) => "IPM.Contact",
            Item::Appointment(_) => "IPM.Appointment",
            Item::Task(_) => "IPM.Task",
            Item::DistList(_) => "IPM.DistList",
        }
    }
}

/// A personal distribution list (IPM.DistList, MS-OXOCNTC 2.2.2): a name and the addresses
/// of its members, each written as a one-off EntryID. The message's subject is its name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DistList {
    pub name: String,
    pub members: Vec<Address>,
}

impl DistList {
    /// The most bytes the member EntryIDs may take together (MS-OXOCNTC 2.2.2.2.1: less than
    /// 15,000).
    pub const MEMBER_BYTES: usize = 15_000;

    /// The size of a member's one-off EntryID: 24 bytes, then its display name, address type
    /// ("SMTP") and address in UTF-16 with a NUL each (MS-OXCDATA 2.2.5.1).
    pub fn member_bytes(member: &Address) -> usize {
        let utf16 = |t: &str| 2 * (t.encode_utf16().count() + 1);
        24 + utf16(member.name.as_deref().unwrap_or(&member.email))
            + utf16("SMTP")
            + utf16(&member.email)
    }
}

/// Which telephone number a contact's number is; each kind has one property.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PhoneKind {
    Business,
    Business2,
    Home,
    Home2,
    Mobile,
    BusinessFax,
    HomeFax,
    Pager,
    Car,
    Primary,
    Other,
}

/// Which of a contact's three postal addresses an address is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AddressKind {
    Home,
    Work,
    Other,
}

/// A postal address, in parts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PostalAddress {
    pub street: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub post_office_box: Option<String>,
}

impl PostalAddress {
    /// The address as one text, as Outlook shows it: street, "postal code city region", country.
    pub fn full(&self) -> String {
        let mut lines: Vec<String> = Vec::new();
        for part in [&self.post_office_box, &self.street] {
            if let Some(part) = part.as_deref().filter(|p| !p.is_empty()) {
                lines.push(part.to_owned());
            }
        }
        let town: Vec<&str> = [&self.postal_code, &self.city, &self.region]
            .into_iter()
            .filter_map(|p| p.as_deref().filter(|p| !p.is_empty()))
            .collect();
        if !town.is_empty() {
            lines.push(town.join(" "));
        }
        if let Some(country) = self.country.as_deref().filter(|c| !c.is_empty()) {
            lines.push(country.to_owned());
        }
        lines.join("\r\n")
    }
}

/// A contact's picture: the bytes of an image file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Photo {
    pub data: Vec<u8>,
    /// The file extension of its format without the dot ("jpg", "png").
    pub extension: String,
}

/// A contact (IPM.Contact). The message's subject is its display name, its body the notes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contact {
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub middle_name: Option<String>,
    pub surname: Option<String>,
    /// "Dr.", "Ms." (PidTagDisplayNamePrefix).
    pub prefix: Option<String>,
    /// "Jr.", "III" (PidTagGeneration).
    pub suffix: Option<String>,
    pub nickname: Option<String>,
    pub company: Option<String>,
    pub department: Option<String>,
    pub job_title: Option<String>,
    /// E-mail addresses in order of preference; Outlook keeps the first three.
    pub emails: Vec<Address>,
    pub phones: Vec<(PhoneKind, String)>,
    pub addresses: Vec<(AddressKind, PostalAddress)>,
    /// The day of birth, as midnight UTC of that day.
    pub birthday: Option<FileTime>,
    pub anniversary: Option<FileTime>,
    pub web_page: Option<String>,
    pub instant_messaging: Option<String>,
    pub spouse: Option<String>,
    pub photo: Option<Photo>,
}

/// Whether the time of an appointment shows as busy (PidLidBusyStatus).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum BusyStatus {
    Free,
    Tentative,
    #[default]
    Busy,
    OutOfOffice,
    WorkingElsewhere,
}

impl BusyStatus {
    pub fn value(self) -> i32 {
        match self {
            BusyStatus::Free => 0,
            BusyStatus::Tentative => 1,
            BusyStatus::Busy => 2,
            BusyStatus::OutOfOffice => 3,
            BusyStatus::WorkingElsewhere => 4,
        }
    }
}

/// An attendee's part in a meeting: the recipient type of MS-OXOCAL 2.2.4.10.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AttendeeRole {
    #[default]
    Required,
    Optional,
    /// A room or equipment.
    Resource,
}

/// An attendee's answer (PidTagRecipientTrackStatus, MS-OXOCAL 2.2.4.10.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Response {
    #[default]
    None,
    Organized,
    Tentative,
    Accepted,
    Declined,
    NotResponded,
}

impl Response {
    pub fn value(self) -> i32 {
        match self {
            Response::None => 0,
            Response::Organized => 1,
            Response::Tentative => 2,
            Response::Accepted => 3,
            Response::Declined => 4,
            Response::NotResponded => 5,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attendee {
    pub address: Address,
    pub role: AttendeeRole,
    pub response: Response,
}

/// When a zone changes between standard and daylight time: the `week`th (1–4, 5 = last)
/// `day_of_week` (0 = Sunday) of `month` (1–12), at `hour`:`minute` local time. This is the
/// SYSTEMTIME form of a transition in TZREG and TZRULE (MS-OXOCAL 2.2.1.39).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Transition {
    pub month: u16,
    pub day_of_week: u16,
    pub week: u16,
    pub hour: u16,
    pub minute: u16,
}

/// A time zone as Outlook stores it: offsets in minutes with UTC = local + bias, and the
/// yearly transitions (none for a zone without daylight saving time).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TimeZone {
    /// The zone's name (a Windows time-zone key or an IANA name).
    pub name: String,
    /// The year from which this rule holds.
    pub year: u16,
    pub bias: i32,
    pub standard_bias: i32,
    pub daylight_bias: i32,
    /// Start of standard time and of daylight time; both or neither.
    pub standard_start: Option<Transition>,
    pub daylight_start: Option<Transition>,
}

/// Minutes since 1601-01-01 00:00 in the appointment's own time zone: the unit of the
/// recurrence blob (MS-OXOCAL 2.2.1.44).
pub type LocalMinutes = u32;

/// Which days a recurrence falls on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecurrencePattern {
    /// Every `interval` days.
    Daily,
    /// On the days of `days` (bit 0 = Sunday … bit 6 = Saturday) every `interval` weeks.
    Weekly { days: u8 },
    /// On day `day` (1–31) of the month every `interval` months.
    Monthly { day: u8 },
    /// On the `nth` (1–4, 5 = last) of the days of `days` every `interval` months.
    MonthlyNth { days: u8, nth: u8 },
    /// On day `day` of month `month` every `interval` years.
    Yearly { month: u8, day: u8 },
    /// On the `nth` of the days of `days` of month `month` every `interval` years.
    YearlyNth { month: u8, days: u8, nth: u8 },
}

/// How a recurrence ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecurrenceEnd {
    /// After the last occurrence on or before a date (the series' last occurrence day).
    ByDate,
    /// After a number of occurrences.
    AfterCount,
    Never,
}

/// An occurrence of a series that differs from the series (MS-OXOCAL 2.2.1.44.2): times in
/// the series' zone for the blob and in UTC for the exception's own object; what is `None` is
/// as in the series.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecurrenceException {
    pub original_start_local: LocalMinutes,
    pub start_local: LocalMinutes,
    pub end_local: LocalMinutes,
    pub original_start: FileTime,
    pub start: FileTime,
    pub end: FileTime,
    pub subject: Option<String>,
    pub location: Option<String>,
    pub body: Option<String>,
    pub busy_status: Option<BusyStatus>,
    /// Minutes before the start; `Some(None)` turns the series' reminder off.
    pub reminder_minutes: Option<Option<i32>>,
    pub all_day: Option<bool>,
}

/// A recurring series (PidLidAppointmentRecur).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recurrence {
    pub pattern: RecurrencePattern,
    /// Days, weeks, months or years between occurrences.
    pub interval: u32,
    /// The first day of the week (0 = Sunday), for weekly series.
    pub first_day_of_week: u32,
    pub end: RecurrenceEnd,
    /// Occurrences of the pattern (deleted ones included); 10 is written for `Never`, as
    /// Outlook does.
    pub occurrence_count: u32,
    /// Local midnight of the first occurrence's day.
    pub start_date: LocalMinutes,
    /// Local midnight of the last occurrence's day; ignored for `Never`.
    pub end_date: LocalMinutes,
    /// Minutes from midnight to the start and to the end of each occurrence.
    pub start_offset: u32,
    pub end_offset: u32,
    /// Local midnight of each occurrence the series no longer has.
    pub deleted: Vec<LocalMinutes>,
    /// Occurrences that were changed, in order of their original start.
    pub exceptions: Vec<RecurrenceException>,
}

/// An appointment or meeting (IPM.Appointment). Its subject, body, categories and the
/// organizer (the message's `from`) are the message's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appointment {
    /// Start and end in UTC. For an all-day event these are local midnights converted to UTC.
    pub start: FileTime,
    pub end: FileTime,
    pub all_day: bool,
    /// The zone the times were given in; `None` for times in UTC or floating.
    pub time_zone: Option<TimeZone>,
    pub location: Option<String>,
    pub busy_status: BusyStatus,
    /// Minutes before the start; `None` for no reminder.
    pub reminder_minutes: Option<i32>,
    pub attendees: Vec<Attendee>,
    pub recurrence: Option<Recurrence>,
    pub private: bool,
    /// The iCalendar UID, kept in the global object ID.
    pub uid: Option<String>,
    /// The iCalendar SEQUENCE.
    pub sequence: i32,
    /// For the object of one changed occurrence of a series: the occurrence's original start
    /// (PidLidExceptionReplaceTime). `None` for a series or a single appointment.
    pub replaces: Option<FileTime>,
}

/// A task's state (PidLidTaskStatus).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TaskStatus {
    #[default]
    NotStarted,
    InProgress,
    Complete,
    Waiting,
    Deferred,
}

impl TaskStatus {
    pub fn value(self) -> i32 {
        match self {
            TaskStatus::NotStarted => 0,
            TaskStatus::InProgress => 1,
            TaskStatus::Complete => 2,
            TaskStatus::Waiting => 3,
            TaskStatus::Deferred => 4,
        }
    }
}

/// A task (IPM.Task). Its subject, body and categories are the message's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Task {
    pub start: Option<FileTime>,
    pub due: Option<FileTime>,
    pub completed: Option<FileTime>,
    pub status: TaskStatus,
    /// 0–100.
    pub percent_complete: u8,
    /// When the reminder fires.
    pub reminder: Option<FileTime>,
    pub private: bool,
}
