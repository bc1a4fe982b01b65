//! The time zone of this computer, for calendar times that name none: a "floating" time or
//! an all-day date means the same wall-clock time wherever the calendar is, so it is read
//! in the zone the person converting lives in.

/// The IANA name of this computer's zone: `TZ` when it names one, else the system's, else
/// UTC.
pub fn local_time_zone() -> String {
    if let Ok(tz) = std::env::var("TZ") {
        let name = tz.trim_start_matches(':').trim();
        if !name.is_empty() && name.parse::<chrono_tz::Tz>().is_ok() {
            return name.to_owned();
        }
    }
    iana_time_zone::get_timezone()
        .ok()
        .filter(|name| name.parse::<chrono_tz::Tz>().is_ok())
        .unwrap_or_else(|| "UTC".to_owned())
}
