//! A vCard (2.1, 3.0 or 4.0) as an Outlook contact. `calcard` parses the card (quoted-printable,
//! charsets, base64 pictures, the date forms of every version); this maps its properties to
//! the contact's fields. What a contact has no field for (a fourth e-mail address, a second
//! number of the same kind, a URL of a picture) is added to the notes, so nothing is lost.

use calcard::common::PartialDateTime;
use calcard::vcard::{VCard, VCardEntry, VCardKind, VCardParameterName, VCardProperty, VCardValue};

use crate::convert::Converted;
use crate::pst::{self, AddressKind, Contact, FileTime, Item, PhoneKind, Photo, PostalAddress};

/// Outlook keeps three e-mail addresses.
const EMAIL_SLOTS: usize = 3;
/// The year given to a birthday or anniversary without one (`--0415`), as Apple's Contacts
/// does: Outlook needs a year, and the day is what matters.
const YEAR_UNKNOWN: i32 = 1604;

/// Text of the card: UTF-8, else Latin-1 (vCard 2.1 files often are).
pub fn card_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|b| char::from(*b)).collect(),
    }
}

/// The texts of an entry's values, each component of a structured value (N, ADR) in its
/// place; a component with several values is joined with ", ".
fn components(entry: &VCardEntry) -> Vec<String> {
    entry
        .values
        .iter()
        .map(|value| match value {
            VCardValue::Text(text) => text.trim().to_owned(),
            VCardValue::Component(parts) => parts
                .iter()
                .map(|p| p.trim())
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join(", "),
            other => other.as_text().unwrap_or_default().trim().to_owned(),
        })
        .collect()
}

/// An entry's value as one text (values joined with ", ").
fn text(entry: &VCardEntry) -> Option<String> {
    let parts: Vec<String> = components(entry)
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn non_empty(s: Option<&String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// The TYPE parameters of an entry (vCard 2.1's bare `WORK;VOICE` included), lower-case.
fn types(entry: &VCardEntry) -> Vec<String> {
    entry
        .params
        .iter()
        .filter(|p| matches!(p.name, VCardParameterName::Type))
        .filter_map(|p| p.value.as_text())
        .flat_map(|t| t.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .collect()
}

fn has_type(types: &[String], wanted: &str) -> bool {
    types.iter().any(|t| t == wanted)
}

/// Which Outlook number a TEL entry is, from its types.
fn phone_kind(types: &[String]) -> PhoneKind {
    let work = has_type(types, "work");
    let home = has_type(types, "home");
    if has_type(types, "fax") {
        return if home {
            PhoneKind::HomeFax
        } else {
            PhoneKind::BusinessFax
        };
    }
    if has_type(types, "cell") || has_type(types, "mobile") || has_type(types, "iphone") {
        return PhoneKind::Mobile;
    }
    if has_type(types, "pager") {
        return PhoneKind::Pager;
    }
    if has_type(types, "car") {
        return PhoneKind::Car;
    }
    if work {
        return PhoneKind::Business;
    }
    if home {
        return PhoneKind::Home;
    }
    if has_type(types, "main") || has_type(types, "main-number") || has_type(types, "pref") {
        return PhoneKind::Primary;
    }
    PhoneKind::Other
}

/// The second field of a kind, for a number whose first field is taken.
fn second(kind: PhoneKind) -> Option<PhoneKind> {
    match kind {
        PhoneKind::Business => Some(PhoneKind::Business2),
        PhoneKind::Home => Some(PhoneKind::Home2),
        PhoneKind::Primary | PhoneKind::Mobile => Some(PhoneKind::Other),
        _ => None,
    }
}

/// Noon UTC of a date: the same day wherever Outlook shows it.
fn date_value(date: &PartialDateTime) -> Option<FileTime> {
    let month = u32::from(date.month?);
    let day = u32::from(date.day?);
    let year = date.year.map_or(YEAR_UNKNOWN, i32::from);
    let noon = chrono::NaiveDate::from_ymd_opt(year, month, day)?.and_hms_opt(12, 0, 0)?;
    FileTime::from_unix(noon.and_utc().timestamp())
}

fn date_of(entry: &VCardEntry) -> Option<FileTime> {
    match entry.values.first()? {
        VCardValue::PartialDateTime(date) => date_value(date),
        VCardValue::Text(text) => {
            // A date the parser kept as text: YYYY-MM-DD or YYYYMMDD.
            let digits: String = text.chars().filter(char::is_ascii_digit).collect();
            let date = chrono::NaiveDate::parse_from_str(digits.get(..8)?, "%Y%m%d").ok()?;
            FileTime::from_unix(date.and_hms_opt(12, 0, 0)?.and_utc().timestamp())
        }
        _ => None,
    }
}

/// The file extension of a picture's media type or bytes.
fn picture_extension(content_type: Option<&str>, data: &[u8]) -> String {
    let from_type = content_type.map(|t| t.to_ascii_lowercase()).and_then(|t| {
        match t.trim_start_matches("image/") {
            "jpeg" | "jpg" => Some("jpg"),
            "png" => Some("png"),
            "gif" => Some("gif"),
            "bmp" => Some("bmp"),
            _ => None,
        }
    });
    let from_bytes = if data.starts_with(&[0x89, b'P', b'N', b'G']) {
        "png"
    } else if data.starts_with(b"GIF8") {
        "gif"
    } else if data.starts_with(b"BM") {
        "bmp"
    } else {
        "jpg"
    };
    from_type.unwrap_or(from_bytes).to_owned()
}

/// What a vCard holds that has no field of its own, kept in the notes.
#[derive(Default)]
struct Extra {
    lines: Vec<String>,
}

impl Extra {
    fn add(&mut self, label: &str, value: &str) {
        self.lines.push(format!("{label}: {value}"));
    }
}

/// Converts one vCard. A card that cannot be parsed at all is written as a contact named
/// after what can be read, with the card's text in its notes.
pub fn convert(bytes: &[u8]) -> Converted {
    let text = card_text(bytes);
    let mut warnings = Vec::new();
    let card = match VCard::parse(&text) {
        Ok(card) => card,
        Err(_) => {
            warnings.push("the vCard could not be read; its text is kept in the notes".into());
            return Converted {
                message: pst::Message {
                    subject: Some("Unreadable contact".into()),
                    body_text: Some(text),
                    state: read_state(),
                    item: Some(Box::new(Item::Contact(Contact {
                        display_name: Some("Unreadable contact".into()),
                        ..Contact::default()
                    }))),
                    ..pst::Message::default()
                },
                warnings,
                degraded: true,
            };
        }
    };
    if is_group(&card)
        && let Some(converted) = dist_list(&card)
    {
        return converted;
    }
    let (contact, notes, categories) = contact_of(&card);
    if is_group(&card) {
        warnings.push(
            "a group of contacts whose members have no e-mail address here is written as a \
             contact, its members listed in the notes"
                .into(),
        );
    }
    let mut body = notes;
    let subject = contact.display_name.clone();
    if contact.display_name.is_none() && contact.company.is_none() && contact.emails.is_empty() {
        warnings.push("the vCard has no name, company or e-mail address".into());
    }
    if body.as_deref() == Some("") {
        body = None;
    }
    Converted {
        message: pst::Message {
            subject,
            body_text: body,
            categories,
            state: read_state(),
            item: Some(Box::new(Item::Contact(contact))),
            ..pst::Message::default()
        },
        warnings,
        degraded: false,
    }
}

/// A group of contacts: vCard 4's `KIND:group`, or the `X-ADDRESSBOOKSERVER-KIND:group` of
/// Apple's vCard 3 exports.
fn is_group(card: &VCard) -> bool {
    card.entries.iter().any(|entry| match &entry.name {
        VCardProperty::Kind => {
            entry
                .values
                .iter()
                .any(|v| matches!(v, VCardValue::Kind(VCardKind::Group)))
                || text(entry).is_some_and(|t| t.eq_ignore_ascii_case("group"))
        }
        VCardProperty::Other(name) if name.eq_ignore_ascii_case("X-ADDRESSBOOKSERVER-KIND") => {
            text(entry).is_some_and(|t| t.eq_ignore_ascii_case("group"))
        }
        _ => false,
    })
}

/// Items the user made are read and unmodified.
fn read_state() -> pst::MessageState {
    pst::MessageState {
        read: true,
        ..pst::MessageState::default()
    }
}

/// The contact, its notes (NOTE and what has no field), its categories.
fn contact_of(card: &VCard) -> (Contact, Option<String>, Vec<String>) {
    let mut contact = Contact::default();
    let mut notes: Vec<String> = Vec::new();
    let mut extra = Extra::default();
    let mut categories: Vec<String> = Vec::new();
    let mut emails: Vec<(bool, pst::Address)> = Vec::new();
    for entry in &card.entries {
        match &entry.name {
            VCardProperty::Fn if contact.display_name.is_none() => {
                contact.display_name = text(entry);
            }
            VCardProperty::N if contact.surname.is_none() && contact.given_name.is_none() => {
                let parts = components(entry);
                contact.surname = non_empty(parts.first());
                contact.given_name = non_empty(parts.get(1));
                contact.middle_name = non_empty(parts.get(2));
                contact.prefix = non_empty(parts.get(3));
                contact.suffix = non_empty(parts.get(4));
            }
            VCardProperty::Nickname if contact.nickname.is_none() => {
                contact.nickname = text(entry);
            }
            VCardProperty::Org if contact.company.is_none() => {
                let parts = components(entry);
                contact.company = non_empty(parts.first());
                let units: Vec<&str> = parts
                    .iter()
                    .skip(1)
                    .map(|p| p.as_str())
                    .filter(|p| !p.is_empty())
                    .collect();
                if !units.is_empty() {
                    contact.department = Some(units.join(", "));
                }
            }
            VCardProperty::Title if contact.job_title.is_none() => {
                contact.job_title = text(entry);
            }
            VCardProperty::Role => {
                if let Some(role) = text(entry) {
                    extra.add("Role", &role);
                }
            }
            VCardProperty::Email => {
                if let Some(address) = text(entry) {
                    let preferred = has_type(&types(entry), "pref")
                        || entry
                            .params
                            .iter()
                            .any(|p| matches!(p.name, VCardParameterName::Pref));
                    emails.push((
                        preferred,
                        pst::Address {
                            name: None,
                            email: address,
                        },
                    ));
                }
            }
            VCardProperty::Tel => {
                if let Some(number) = text(entry) {
                    let number = number.trim_start_matches("tel:").to_owned();
                    let mut kind = phone_kind(&types(entry));
                    let taken = |k: PhoneKind, c: &Contact| c.phones.iter().any(|(p, _)| *p == k);
                    if taken(kind, &contact) {
                        match second(kind).filter(|k| !taken(*k, &contact)) {
                            Some(next) => kind = next,
                            None => {
                                extra.add("Telephone", &number);
                                continue;
                            }
                        }
                    }
                    contact.phones.push((kind, number));
                }
            }
            VCardProperty::Adr => {
                let parts = components(entry);
                let types = types(entry);
                let kind = if has_type(&types, "work") {
                    AddressKind::Work
                } else if has_type(&types, "home") {
                    AddressKind::Home
                } else {
                    AddressKind::Other
                };
                // ADR: post office box; extended address; street; locality; region; postal
                // code; country. The extended address goes with the street.
                let street: Vec<&str> = [parts.get(1), parts.get(2)]
                    .into_iter()
                    .flatten()
                    .map(|s| s.as_str())
                    .filter(|s| !s.is_empty())
                    .collect();
                let address = PostalAddress {
                    post_office_box: non_empty(parts.first()),
                    street: (!street.is_empty()).then(|| street.join("\r\n")),
                    city: non_empty(parts.get(3)),
                    region: non_empty(parts.get(4)),
                    postal_code: non_empty(parts.get(5)),
                    country: non_empty(parts.get(6)),
                };
                if address == PostalAddress::default() {
                    continue;
                }
                if contact.addresses.iter().any(|(k, _)| *k == kind) {
                    extra.add("Address", &address.full().replace("\r\n", ", "));
                } else {
                    contact.addresses.push((kind, address));
                }
            }
            VCardProperty::Bday if contact.birthday.is_none() => {
                contact.birthday = date_of(entry);
            }
            VCardProperty::Anniversary if contact.anniversary.is_none() => {
                contact.anniversary = date_of(entry);
            }
            VCardProperty::Other(name)
                if name.eq_ignore_ascii_case("X-ANNIVERSARY") && contact.anniversary.is_none() =>
            {
                contact.anniversary = date_of(entry);
            }
            VCardProperty::Other(name)
                if name.eq_ignore_ascii_case("X-SPOUSE") && contact.spouse.is_none() =>
            {
                contact.spouse = text(entry);
            }
            VCardProperty::Url => {
                if let Some(url) = text(entry) {
                    if contact.web_page.is_none() {
                        contact.web_page = Some(url);
                    } else {
                        extra.add("Web page", &url);
                    }
                }
            }
            VCardProperty::Impp => {
                if let Some(im) = text(entry) {
                    if contact.instant_messaging.is_none() {
                        contact.instant_messaging = Some(im);
                    } else {
                        extra.add("Instant messaging", &im);
                    }
                }
            }
            VCardProperty::Note => {
                if let Some(note) = entry.values.iter().filter_map(|v| v.as_text()).next() {
                    notes.push(note.to_owned());
                }
            }
            VCardProperty::Categories => {
                for category in components(entry)
                    .iter()
                    .flat_map(|c| c.split(','))
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                {
                    if !categories.iter().any(|c| c == category) {
                        categories.push(category.to_owned());
                    }
                }
            }
            // Apple's social profiles (X-SOCIALPROFILE;TYPE=twitter:user) have no field.
            VCardProperty::Other(name) if name.eq_ignore_ascii_case("X-SOCIALPROFILE") => {
                if let Some(profile) = text(entry) {
                    match types(entry).first() {
                        Some(service) => {
                            extra.add("Social profile", &format!("{service}: {profile}"))
                        }
                        None => extra.add("Social profile", &profile),
                    }
                }
            }
            // A group's members (vCard 4 MEMBER, Apple's X-ADDRESSBOOKSERVER-MEMBER): a
            // mailto: address, or the UID of another card of the book.
            VCardProperty::Member => {
                if let Some(member) = text(entry) {
                    extra.add("Member", member_text(&member));
                }
            }
            VCardProperty::Other(name)
                if name.eq_ignore_ascii_case("X-ADDRESSBOOKSERVER-MEMBER") =>
            {
                if let Some(member) = text(entry) {
                    extra.add("Member", member_text(&member));
                }
            }
            VCardProperty::Photo if contact.photo.is_none() => match entry.values.first() {
                Some(VCardValue::Binary(data)) if !data.data.is_empty() => {
                    contact.photo = Some(Photo {
                        extension: picture_extension(data.content_type.as_deref(), &data.data),
                        data: data.data.clone(),
                    });
                }
                Some(VCardValue::Text(url)) if !url.trim().is_empty() => {
                    extra.add("Picture", url.trim());
                }
                _ => {}
            },
            _ => {}
        }
    }
    // The preferred address first, then the card's order; Outlook keeps three.
    emails.sort_by_key(|(preferred, _)| !preferred);
    let mut emails = emails.into_iter().map(|(_, a)| a);
    contact.emails = emails.by_ref().take(EMAIL_SLOTS).collect();
    for more in emails {
        extra.add("E-mail", &more.email);
    }
    for email in &mut contact.emails {
        email.name = contact.display_name.clone();
    }
    if contact.display_name.is_none() {
        let name: Vec<&str> = [
            &contact.prefix,
            &contact.given_name,
            &contact.middle_name,
            &contact.surname,
            &contact.suffix,
        ]
        .into_iter()
        .filter_map(|p| p.as_deref())
        .collect();
        contact.display_name = if name.is_empty() {
            contact
                .company
                .clone()
                .or_else(|| contact.emails.first().map(|e| e.email.clone()))
        } else {
            Some(name.join(" "))
        };
    }
    if !extra.lines.is_empty() {
        notes.push(extra.lines.join("\r\n"));
    }
    let notes = (!notes.is_empty()).then(|| notes.join("\r\n\r\n"));
    (contact, notes, categories)
}

/// A group with members named by e-mail address (or none) as a distribution list: those
/// members (their name from a `CN` or `X-CN` parameter) in the list as far as Outlook's limit
/// allows; the others (a card's UID, members past the limit) in its notes, with a warning.
/// `None` when it has members and none has an address.
fn dist_list(card: &VCard) -> Option<Converted> {
    let mut name = None;
    let mut members: Vec<pst::Address> = Vec::new();
    let mut left: Vec<String> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut categories: Vec<String> = Vec::new();
    for entry in &card.entries {
        match &entry.name {
            VCardProperty::Fn if name.is_none() => name = text(entry),
            VCardProperty::Note => {
                if let Some(note) = entry.values.iter().filter_map(|v| v.as_text()).next() {
                    notes.push(note.to_owned());
                }
            }
            VCardProperty::Categories => categories.extend(
                components(entry)
                    .iter()
                    .flat_map(|c| c.split(','))
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned),
            ),
            VCardProperty::Member => {
                let Some(member) = text(entry) else { continue };
                let address = member_text(&member);
                if address.len() < member.trim().len() && address.contains('@') {
                    let cn = entry.params.iter().find_map(|p| match &p.name {
                        VCardParameterName::Other(n)
                            if n.eq_ignore_ascii_case("CN") || n.eq_ignore_ascii_case("X-CN") =>
                        {
                            Some(p.value.clone().into_text().into_owned())
                        }
                        _ => None,
                    });
                    members.push(pst::Address {
                        name: cn.filter(|n| !n.trim().is_empty()),
                        email: address.to_owned(),
                    });
                } else {
                    left.push(address.to_owned());
                }
            }
            VCardProperty::Other(n) if n.eq_ignore_ascii_case("X-ADDRESSBOOKSERVER-MEMBER") => {
                if let Some(member) = text(entry) {
                    left.push(member_text(&member).to_owned());
                }
            }
            _ => {}
        }
    }
    // Members without any address: a contact that lists them in its notes.
    if members.is_empty() && !left.is_empty() {
        return None;
    }
    let mut warnings = Vec::new();
    let mut bytes = 0;
    let fitting = members
        .iter()
        .take_while(|m| {
            bytes += pst::DistList::member_bytes(m);
            bytes < pst::DistList::MEMBER_BYTES
        })
        .count();
    for member in members.split_off(fitting) {
        left.push(match member.name {
            Some(name) => format!("{name} <{}>", member.email),
            None => member.email,
        });
    }
    if !left.is_empty() {
        warnings.push(format!(
            "{} members of the list are in its notes: {}",
            left.len(),
            if members.len() == fitting && bytes >= pst::DistList::MEMBER_BYTES {
                "Outlook's list holds at most 15,000 bytes of members"
            } else {
                "they have no e-mail address here"
            }
        ));
        notes.push(
            left.iter()
                .map(|m| format!("Member: {m}"))
                .collect::<Vec<_>>()
                .join("\r\n"),
        );
    }
    let name = name.unwrap_or_else(|| "Distribution list".to_owned());
    Some(Converted {
        message: pst::Message {
            subject: Some(name.clone()),
            body_text: (!notes.is_empty()).then(|| notes.join("\r\n\r\n")),
            categories,
            state: read_state(),
            item: Some(Box::new(Item::DistList(pst::DistList { name, members }))),
            ..pst::Message::default()
        },
        warnings,
        degraded: false,
    })
}

/// A member as a person reads it: the address of a `mailto:` URI, else the URI.
fn member_text(member: &str) -> &str {
    let member = member.trim();
    member
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("mailto:"))
        .map_or(member, |_| &member[7..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(card: &str) -> (Contact, pst::Message) {
        let converted = convert(card.as_bytes());
        let message = converted.message;
        match message.item.as_deref() {
            Some(Item::Contact(c)) => (c.clone(), message),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_vcard_3_fills_the_contact() {
        let (c, message) = contact(concat!(
            "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Gump;Forrest;;Mr.;\r\nFN:Forrest Gump\r\n",
            "ORG:Bubba Gump Shrimp Co.;Sales\r\nTITLE:Shrimp Man\r\n",
            "TEL;TYPE=WORK,VOICE:(111) 555-1212\r\nTEL;TYPE=HOME,VOICE:(404) 555-1212\r\n",
            "TEL;TYPE=CELL:(404) 555-1213\r\n",
            "ADR;TYPE=WORK:;;100 Waters Edge;Baytown;LA;30314;United States of America\r\n",
            "EMAIL;TYPE=PREF,INTERNET:forrestgump@example.com\r\n",
            "EMAIL;TYPE=INTERNET:second@example.com\r\n",
            "BDAY:1944-06-06\r\nNOTE:Likes shrimp\\, boats\r\nCATEGORIES:Friends,Fishing\r\n",
            "END:VCARD\r\n"
        ));
        assert_eq!(c.display_name.as_deref(), Some("Forrest Gump"));
        assert_eq!(c.surname.as_deref(), Some("Gump"));
        assert_eq!(c.given_name.as_deref(), Some("Forrest"));
        assert_eq!(c.prefix.as_deref(), Some("Mr."));
        assert_eq!(c.company.as_deref(), Some("Bubba Gump Shrimp Co."));
        assert_eq!(c.department.as_deref(), Some("Sales"));
        assert_eq!(c.job_title.as_deref(), Some("Shrimp Man"));
        assert_eq!(c.emails[0].email, "forrestgump@example.com");
        assert_eq!(c.emails[1].email, "second@example.com");
        assert!(
            c.phones
                .contains(&(PhoneKind::Business, "(111) 555-1212".into()))
        );
        assert!(
            c.phones
                .contains(&(PhoneKind::Home, "(404) 555-1212".into()))
        );
        assert!(
            c.phones
                .contains(&(PhoneKind::Mobile, "(404) 555-1213".into()))
        );
        let (kind, address) = &c.addresses[0];
        assert_eq!(*kind, AddressKind::Work);
        assert_eq!(address.city.as_deref(), Some("Baytown"));
        assert_eq!(address.postal_code.as_deref(), Some("30314"));
        // 1944-06-06 12:00 UTC.
        let noon = chrono::NaiveDate::from_ymd_opt(1944, 6, 6)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp();
        assert_eq!(c.birthday.unwrap().to_unix(), noon);
        assert_eq!(message.body_text.as_deref(), Some("Likes shrimp, boats"));
        assert_eq!(message.categories, ["Friends", "Fishing"]);
        assert_eq!(message.subject.as_deref(), Some("Forrest Gump"));
    }

    #[test]
    fn a_group_keeps_its_members_in_the_notes_and_says_so() {
        let converted = convert(
            b"BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:group\r\nFN:Pioneers\r\n\
              MEMBER;X-CN=Ada Lovelace:mailto:ada@example.com\r\n\
              MEMBER:urn:uuid:03a0e51f-d1aa-4385-8a53-e29025acd8af\r\nEND:VCARD\r\n",
        );
        assert_eq!(converted.message.subject.as_deref(), Some("Pioneers"));
        let Some(Item::DistList(list)) = converted.message.item.as_deref() else {
            panic!("{:?}", converted.message.item);
        };
        assert_eq!(list.name, "Pioneers");
        assert_eq!(
            list.members,
            vec![pst::Address {
                name: Some("Ada Lovelace".into()),
                email: "ada@example.com".into()
            }]
        );
        assert_eq!(
            converted.message.body_text.as_deref(),
            Some("Member: urn:uuid:03a0e51f-d1aa-4385-8a53-e29025acd8af")
        );
        assert_eq!(converted.warnings.len(), 1, "{:?}", converted.warnings);
        // A list longer than Outlook's limit keeps the rest in its notes.
        let mut long = String::from("BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:group\r\nFN:All\r\n");
        for n in 0..300 {
            long.push_str(&format!("MEMBER:mailto:person{n:03}@example.org\r\n"));
        }
        long.push_str("END:VCARD\r\n");
        let converted = convert(long.as_bytes());
        let Some(Item::DistList(list)) = converted.message.item.as_deref() else {
            panic!();
        };
        let bytes: usize = list.members.iter().map(pst::DistList::member_bytes).sum();
        assert!(bytes < pst::DistList::MEMBER_BYTES && list.members.len() > 100);
        let body = converted.message.body_text.clone().unwrap();
        assert_eq!(body.lines().count(), 300 - list.members.len());
        assert!(body.contains("person299@example.org"));
        assert!(
            converted.warnings[0].contains("15,000"),
            "{:?}",
            converted.warnings
        );
        let apple = convert(
            b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Friends\r\nFN:Friends\r\n\
              X-ADDRESSBOOKSERVER-KIND:group\r\n\
              X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:A1B2\r\nEND:VCARD\r\n",
        );
        assert_eq!(
            apple.message.body_text.as_deref(),
            Some("Member: urn:uuid:A1B2")
        );
        assert_eq!(apple.warnings.len(), 1);
        assert!(
            convert(b"BEGIN:VCARD\r\nFN:A\r\nEND:VCARD\r\n")
                .warnings
                .is_empty()
        );
    }

    #[test]
    fn a_social_profile_goes_to_the_notes() {
        let converted = convert(
            b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nX-SOCIALPROFILE;TYPE=mastodon:ada\r\n\
              END:VCARD\r\n",
        );
        assert_eq!(
            converted.message.body_text.as_deref(),
            Some("Social profile: mastodon: ada")
        );
    }

    #[test]
    fn a_vcard_2_1_with_quoted_printable_latin1_is_read() {
        let (c, _) = contact(concat!(
            "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:M=FCller;J=FCrgen\r\n",
            "TEL;WORK;VOICE:+49 30 1234\r\nEMAIL;INTERNET:j@example.de\r\nEND:VCARD\r\n"
        ));
        assert_eq!(c.surname.as_deref(), Some("Müller"));
        assert_eq!(c.given_name.as_deref(), Some("Jürgen"));
        assert_eq!(c.display_name.as_deref(), Some("Jürgen Müller"));
        assert_eq!(c.phones, [(PhoneKind::Business, "+49 30 1234".into())]);
    }

    #[test]
    fn a_fourth_address_and_a_picture_url_go_to_the_notes() {
        let (c, message) = contact(concat!(
            "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:A\r\nEMAIL:1@x\r\nEMAIL:2@x\r\nEMAIL:3@x\r\n",
            "EMAIL:4@x\r\nPHOTO:http://example.com/a.jpg\r\nBDAY:--0415\r\nEND:VCARD\r\n"
        ));
        assert_eq!(c.emails.len(), 3);
        let notes = message.body_text.unwrap();
        assert!(notes.contains("E-mail: 4@x"), "{notes}");
        assert!(
            notes.contains("Picture: http://example.com/a.jpg"),
            "{notes}"
        );
        assert!(c.birthday.is_some());
    }
}
