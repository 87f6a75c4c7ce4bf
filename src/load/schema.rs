//! The data contract: canonical columns per source and the type each is read as.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Kept as text (ids, names, free text).
    Text,
    /// Text from a fixed vocabulary: trimmed and lower-cased.
    Code,
    /// A point in time, stored as epoch milliseconds (UTC).
    Timestamp,
    /// A calendar day in the report timezone, stored as its local midnight (epoch ms).
    Date,
    Number,
    Bool,
}

#[derive(Debug, Clone, Copy)]
pub struct Col {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

const fn c(name: &'static str, kind: Kind) -> Col {
    Col { name, kind, required: false }
}

const fn req(name: &'static str, kind: Kind) -> Col {
    Col { name, kind, required: true }
}

use Kind::*;

pub const TICKETS: &[Col] = &[
    req("ticket_id", Text),
    req("created_at", Timestamp),
    c("first_response_at", Timestamp),
    c("first_resolved_at", Timestamp),
    c("solved_at", Timestamp),
    c("closed_at", Timestamp),
    c("status", Code),
    c("channel", Code),
    c("priority", Code),
    c("reason", Text),
    c("sub_reason", Text),
    c("product", Text),
    c("location", Text),
    c("agent", Text),
    c("team", Text),
    c("customer_id", Text),
    c("agent_replies", Number),
    c("customer_messages", Number),
    c("reopens", Number),
    c("escalated", Bool),
    c("sla_breached", Bool),
    c("csat_score", Number),
    c("handle_seconds", Number),
];

pub const SURVEYS: &[Col] = &[
    req("responded_at", Timestamp),
    req("kind", Code),
    req("score", Number),
    c("survey_id", Text),
    c("ticket_id", Text),
    c("channel", Code),
    c("agent", Text),
    c("team", Text),
    c("reason", Text),
    c("comment", Text),
];

pub const CALLS: &[Col] = &[
    req("call_id", Text),
    req("offered_at", Timestamp),
    req("outcome", Code),
    c("direction", Code),
    c("queue", Text),
    c("wait_seconds", Number),
    c("talk_seconds", Number),
    c("hold_seconds", Number),
    c("acw_seconds", Number),
    c("ivr_seconds", Number),
    c("agent", Text),
    c("team", Text),
    c("customer_id", Text),
    c("reason", Text),
];

pub const AGENT_TIME: &[Col] = &[
    req("agent", Text),
    req("date", Date),
    c("team", Text),
    c("scheduled_seconds", Number),
    c("logged_in_seconds", Number),
    c("available_seconds", Number),
    c("handling_seconds", Number),
];

/// The canonical columns of a source, and the column that places a row in time.
pub fn columns(source: &str) -> (&'static [Col], &'static str) {
    match source {
        "tickets" => (TICKETS, "created_at"),
        "surveys" => (SURVEYS, "responded_at"),
        "calls" => (CALLS, "offered_at"),
        "agent_time" => (AGENT_TIME, "date"),
        _ => unreachable!("unknown source {source}"),
    }
}

/// The number columns of the two large sources (counts and durations: millions of
/// rows) held in 4 bytes a value instead of 8 while every value is exactly a 4-byte
/// float, which whole and half seconds and counts are (`load::stack`): W1's frames are
/// 56 MB smaller at the end of reading. Every metric reads them as 8-byte floats
/// (`metrics::num`), so it computes on the values read.
pub const COMPACT: &[&str] = &[
    "agent_replies",
    "customer_messages",
    "reopens",
    "handle_seconds",
    "wait_seconds",
    "talk_seconds",
    "hold_seconds",
    "acw_seconds",
    "ivr_seconds",
];

/// The fixed vocabulary of a code column, and what an unknown value becomes (None: the
/// value is dropped and counted).
pub fn vocabulary(column: &str) -> Option<(&'static [&'static str], Option<&'static str>)> {
    Some(match column {
        "channel" => (&["email", "phone", "chat", "social", "web", "self_service", "other"], Some("other")),
        "status" => (&["new", "open", "pending", "on_hold", "solved", "closed"], None),
        "priority" => (&["low", "normal", "high", "urgent"], None),
        "outcome" => (&["answered", "abandoned", "voicemail", "callback", "ivr_resolved", "transferred"], None),
        "kind" => (&["csat", "nps", "ces"], None),
        "direction" => (&["inbound", "outbound"], None),
        _ => return None,
    })
}

/// The id column of a source, checked for duplicates.
pub fn id_column(source: &str) -> Option<&'static str> {
    match source {
        "tickets" => Some("ticket_id"),
        "calls" => Some("call_id"),
        "surveys" => Some("survey_id"),
        _ => None,
    }
}
