//! Expiry as the catalog decides it (AMB-12 to AMB-16, EXP-*, INTROSPECT-04, BEARER-03).
//!
//! A wallet's expiry date is inclusive in UTC: the client works through the last second of
//! that day and is refused from 00:00 UTC the next day, its cut-off instant. A token's `exp`
//! is its issue time plus its validity, capped at its client's cut-off; a token or client is
//! alive strictly before its expiry instant (RFC 7519 §4.1.4: not on or after).

use time::{Date, Duration, Month, OffsetDateTime, Time};

/// The instant from which a client with this expiry date is refused: the next day, 00:00 UTC.
pub fn cut_off(expiry_date: Date) -> OffsetDateTime {
    expiry_date
        .next_day()
        .unwrap_or(expiry_date)
        .with_time(Time::MIDNIGHT)
        .assume_utc()
}

/// Alive strictly before `until`.
pub fn alive(until: OffsetDateTime, now: OffsetDateTime) -> bool {
    now < until
}

/// A token's expiry: issue time plus validity, never past the client's cut-off (AMB-14).
pub fn token_exp(
    issued: OffsetDateTime,
    validity_seconds: i64,
    client_cut_off: Option<OffsetDateTime>,
) -> OffsetDateTime {
    let own = issued + Duration::seconds(validity_seconds);
    match client_cut_off {
        Some(cut) if cut < own => cut,
        _ => own,
    }
}

/// Is a token alive at `now`: before its own expiry and its client not expired (AMB-14).
pub fn token_alive(
    issued: OffsetDateTime,
    validity_seconds: i64,
    client_cut_off: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> bool {
    alive(token_exp(issued, validity_seconds, client_cut_off), now)
}

/// The default expiry date of a wallet created on `today` (UTC): one calendar year later,
/// 29 February becoming 28 February (AMB-13).
pub fn default_expiry(today: Date) -> Date {
    let year = today.year() + 1;
    Date::from_calendar_date(year, today.month(), today.day())
        .or_else(|_| Date::from_calendar_date(year, Month::February, 28))
        .unwrap_or(today)
}

/// May a wallet be created on `today` with this expiry date? Today is accepted, the past not
/// (AMB-15).
pub fn date_accepted(today: Date, expiry_date: Date) -> bool {
    expiry_date >= today
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    #[test]
    fn the_expiry_date_is_inclusive_in_utc() {
        // EXP-02, AMB-12
        let cut = cut_off(date!(2030 - 06 - 15));
        assert_eq!(cut, datetime!(2030-06-16 00:00:00 UTC));
        assert!(alive(cut, datetime!(2030-06-15 23:59:59 UTC)));
        assert!(!alive(cut, datetime!(2030-06-16 00:00:00 UTC)));
        assert_eq!(
            cut_off(date!(2028 - 02 - 28)),
            datetime!(2028-02-29 00:00:00 UTC)
        );
        assert_eq!(
            cut_off(date!(2028 - 02 - 29)),
            datetime!(2028-03-01 00:00:00 UTC)
        );
        assert_eq!(
            cut_off(date!(2030 - 12 - 31)),
            datetime!(2031-01-01 00:00:00 UTC)
        );
    }

    #[test]
    fn tokens_never_outlive_their_client() {
        // EXP-03, AMB-14
        let cut = cut_off(date!(2030 - 06 - 15));
        let issued = datetime!(2030-06-15 23:30:00 UTC);
        assert_eq!(
            token_exp(issued, 3600, Some(cut)) - issued,
            Duration::seconds(1800)
        );
        assert!(token_alive(
            issued,
            3600,
            Some(cut),
            datetime!(2030-06-15 23:59:59 UTC)
        ));
        assert!(!token_alive(issued, 3600, Some(cut), cut));
        // INTROSPECT-04: expired from `exp` on.
        let early = datetime!(2030-06-01 00:00:00 UTC);
        assert!(token_alive(early, 60, None, early + Duration::seconds(59)));
        assert!(!token_alive(early, 60, None, early + Duration::seconds(60)));
    }

    #[test]
    fn default_dates_and_the_past() {
        // EXP-01, AMB-13, AMB-15
        assert_eq!(default_expiry(date!(2030 - 06 - 15)), date!(2031 - 06 - 15));
        assert_eq!(default_expiry(date!(2028 - 02 - 29)), date!(2029 - 02 - 28));
        assert_eq!(default_expiry(date!(2030 - 12 - 31)), date!(2031 - 12 - 31));
        assert!(date_accepted(date!(2030 - 06 - 15), date!(2030 - 06 - 15)));
        assert!(!date_accepted(date!(2030 - 06 - 15), date!(2030 - 06 - 14)));
    }
}
