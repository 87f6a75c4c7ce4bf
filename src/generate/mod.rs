//! `csreport sample-data`: a deterministic generator of realistic help-desk data.
//!
//! What makes it realistic, and what the sample report should therefore show:
//! - weekday and hour-of-day seasonality, a yearly season and ~18% yearly growth;
//! - 16 contact reasons with a long-tailed mix, 5 channels, 4 teams, 18 agents of
//!   unequal speed and quality, two of whom get far more than their share;
//! - responses and resolutions that only progress in business hours;
//! - a software-update incident 50 days before `--to`: "App crash" and "Login problem"
//!   spike for two weeks, and response and queue times suffer with them;
//! - CSAT that falls as resolution time grows; abandonment that rises with waiting;
//! - a backlog at the end: what is not solved by the end of `--to` is left open.
//!
//! Files are written day by day, so memory stays flat whatever `--scale` says.

mod rng;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use rng::Rng;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub struct Options {
    pub out: PathBuf,
    pub seed: u64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Multiplies every volume: 1.0 gives ~45 tickets and ~60 calls a weekday.
    pub scale: f64,
    /// Further multiplies the calls (1.0: as many as the scale gives).
    pub calls_factor: f64,
    /// Keeps this share of the survey responses (at most 1.0), to shape a benchmark.
    pub surveys_factor: f64,
    pub timezone: Tz,
}

struct Reason {
    name: &'static str,
    weight: f64,
    team: usize,
    product: &'static str,
    /// Median hours from first response to solve, in business time.
    resolve_hours: f64,
    /// Median talk seconds on the phone.
    talk: f64,
    /// Relative weight among calls.
    phone: f64,
}

const TEAMS: [&str; 4] = ["Tier 1", "Billing", "Technical", "Logistics"];

#[rustfmt::skip]
const REASONS: [Reason; 16] = [
    Reason { name: "Order status", weight: 18.0, team: 3, product: "Web shop", resolve_hours: 5.0, talk: 170.0, phone: 1.3 },
    Reason { name: "Billing question", weight: 14.0, team: 1, product: "Subscription", resolve_hours: 9.0, talk: 290.0, phone: 1.4 },
    Reason { name: "Login problem", weight: 11.0, team: 2, product: "Mobile app", resolve_hours: 4.0, talk: 230.0, phone: 1.0 },
    Reason { name: "Refund request", weight: 9.0, team: 1, product: "Web shop", resolve_hours: 28.0, talk: 340.0, phone: 1.1 },
    Reason { name: "Delivery delay", weight: 8.0, team: 3, product: "Web shop", resolve_hours: 18.0, talk: 230.0, phone: 1.2 },
    Reason { name: "Product defect", weight: 6.0, team: 2, product: "Hardware", resolve_hours: 40.0, talk: 410.0, phone: 0.8 },
    Reason { name: "App crash", weight: 4.0, team: 2, product: "Mobile app", resolve_hours: 20.0, talk: 350.0, phone: 0.9 },
    Reason { name: "Change of address", weight: 4.0, team: 0, product: "Web shop", resolve_hours: 2.5, talk: 150.0, phone: 1.0 },
    Reason { name: "Cancel subscription", weight: 3.5, team: 1, product: "Subscription", resolve_hours: 7.0, talk: 300.0, phone: 1.3 },
    Reason { name: "Password reset", weight: 3.0, team: 0, product: "Mobile app", resolve_hours: 1.0, talk: 120.0, phone: 0.9 },
    Reason { name: "Promo code", weight: 2.0, team: 0, product: "Web shop", resolve_hours: 2.0, talk: 140.0, phone: 0.7 },
    Reason { name: "Invoice copy", weight: 1.5, team: 1, product: "Subscription", resolve_hours: 3.0, talk: 110.0, phone: 0.5 },
    Reason { name: "Data privacy request", weight: 0.8, team: 0, product: "Subscription", resolve_hours: 60.0, talk: 280.0, phone: 0.3 },
    Reason { name: "Feature suggestion", weight: 0.6, team: 2, product: "Mobile app", resolve_hours: 10.0, talk: 200.0, phone: 0.2 },
    Reason { name: "Accessibility", weight: 0.3, team: 2, product: "Web shop", resolve_hours: 30.0, talk: 290.0, phone: 0.5 },
    Reason { name: "Partnership inquiry", weight: 0.2, team: 0, product: "Web shop", resolve_hours: 45.0, talk: 260.0, phone: 0.2 },
];

const INCIDENT_REASONS: [(&str, f64); 2] = [("App crash", 30.0), ("Login problem", 2.5)];

struct Agent {
    name: &'static str,
    team: usize,
    /// Multiplies every time the agent takes (lower is faster).
    speed: f64,
    /// Shifts the log-odds of a satisfied customer.
    quality: f64,
    /// Share of the team's work the agent is given (two are overloaded).
    load: f64,
    /// Daily scheduled hours.
    hours: f64,
}

#[rustfmt::skip]
const AGENTS: [Agent; 18] = [
    Agent { name: "Alice Martin", team: 0, speed: 0.85, quality: 0.35, load: 1.0, hours: 8.0 },
    Agent { name: "Bruno Silva", team: 0, speed: 1.10, quality: -0.20, load: 2.6, hours: 8.0 },
    Agent { name: "Chloé Dubois", team: 0, speed: 0.95, quality: 0.15, load: 1.0, hours: 8.0 },
    Agent { name: "Daniel Okafor", team: 0, speed: 1.30, quality: -0.35, load: 1.0, hours: 8.0 },
    Agent { name: "Emma Novak", team: 0, speed: 0.75, quality: 0.45, load: 1.0, hours: 8.0 },
    Agent { name: "Farid Haddad", team: 0, speed: 1.05, quality: 0.0, load: 0.9, hours: 6.0 },
    Agent { name: "Grace Lee", team: 1, speed: 0.90, quality: 0.30, load: 1.0, hours: 8.0 },
    Agent { name: "Hugo Bernard", team: 1, speed: 1.15, quality: -0.10, load: 1.0, hours: 8.0 },
    Agent { name: "Inès Moreau", team: 1, speed: 0.80, quality: 0.50, load: 1.0, hours: 8.0 },
    Agent { name: "Jonas Berg", team: 1, speed: 1.40, quality: -0.45, load: 0.7, hours: 5.0 },
    Agent { name: "Kenji Sato", team: 2, speed: 1.00, quality: -0.15, load: 2.8, hours: 8.0 },
    Agent { name: "Laura Rossi", team: 2, speed: 0.85, quality: 0.25, load: 1.0, hours: 8.0 },
    Agent { name: "Mehdi Benali", team: 2, speed: 1.20, quality: 0.05, load: 1.0, hours: 8.0 },
    Agent { name: "Nora Jensen", team: 2, speed: 0.70, quality: 0.40, load: 1.0, hours: 8.0 },
    Agent { name: "Oscar Petit", team: 2, speed: 1.50, quality: -0.50, load: 0.8, hours: 8.0 },
    Agent { name: "Paula Gómez", team: 3, speed: 0.90, quality: 0.20, load: 1.0, hours: 8.0 },
    Agent { name: "Quentin Roux", team: 3, speed: 1.10, quality: -0.05, load: 1.0, hours: 8.0 },
    Agent { name: "Rita Costa", team: 3, speed: 1.25, quality: 0.10, load: 0.8, hours: 5.0 },
];

const CHANNELS: [(&str, f64); 5] = [("email", 38.0), ("chat", 24.0), ("web", 18.0), ("phone", 12.0), ("social", 8.0)];

/// Local hour weights for channels that follow opening hours (chat, phone).
#[rustfmt::skip]
const HOURS_LIVE: [f64; 24] = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 6.0, 9.0, 11.0, 11.0, 9.0, 7.0, 9.0, 10.0, 9.0, 7.0, 5.0, 3.0, 0.0, 0.0, 0.0, 0.0];
/// Local hour weights for asynchronous channels (email, web, social).
#[rustfmt::skip]
const HOURS_ASYNC: [f64; 24] = [1.0, 0.6, 0.4, 0.3, 0.3, 0.5, 1.0, 2.0, 4.0, 6.0, 7.0, 7.0, 6.0, 5.0, 6.0, 6.0, 5.0, 4.0, 3.0, 3.0, 2.5, 2.0, 1.8, 1.3];
const WEEKDAY: [f64; 7] = [1.25, 1.12, 1.05, 1.0, 0.92, 0.38, 0.25];
const SEASON: [f64; 12] = [1.05, 0.95, 1.0, 0.98, 0.97, 0.95, 0.9, 0.85, 1.05, 1.02, 1.12, 1.2];

/// Opening hours, local: Monday to Friday 08–19, Saturday 09–13, closed Sunday.
fn opening(d: NaiveDate) -> Option<(u32, u32)> {
    match d.weekday().num_days_from_monday() {
        0..=4 => Some((8, 19)),
        5 => Some((9, 13)),
        _ => None,
    }
}

fn at(d: NaiveDate, h: u32) -> NaiveDateTime {
    d.and_hms_opt(h, 0, 0).expect("valid hour")
}

/// `t` moved forward to the next instant the service is open.
fn next_open(t: NaiveDateTime) -> NaiveDateTime {
    let mut d = t.date();
    loop {
        if let Some((o, c)) = opening(d) {
            if t < at(d, c) {
                return t.max(at(d, o));
            }
        }
        d = d.succ_opt().expect("date");
    }
}

/// Add `secs` of open time to `t`.
fn add_business(t: NaiveDateTime, secs: f64) -> NaiveDateTime {
    let mut t = next_open(t);
    let mut left = secs.max(0.0);
    loop {
        let (_, c) = opening(t.date()).expect("next_open returns an open day");
        let room = (at(t.date(), c) - t).num_seconds() as f64;
        if left <= room {
            return t + Duration::milliseconds((left * 1000.0) as i64);
        }
        left -= room;
        t = next_open(at(t.date(), c));
    }
}

struct Writers {
    tickets: csv::Writer<std::io::BufWriter<std::fs::File>>,
    calls: csv::Writer<std::io::BufWriter<std::fs::File>>,
    surveys: csv::Writer<std::io::BufWriter<std::fs::File>>,
}

fn writer(dir: &Path, name: &str, header: &[&str]) -> Result<csv::Writer<std::io::BufWriter<std::fs::File>>> {
    let path = dir.join(name);
    let f = std::fs::File::create(&path).with_context(|| format!("failed to create `{}`", path.display()))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(f));
    w.write_record(header).with_context(|| format!("failed to write `{}`", path.display()))?;
    Ok(w)
}

const TICKET_COLUMNS: [&str; 19] = [
    "ticket_id",
    "created_at",
    "first_response_at",
    "first_resolved_at",
    "solved_at",
    "closed_at",
    "status",
    "channel",
    "priority",
    "reason",
    "product",
    "agent",
    "team",
    "customer_id",
    "agent_replies",
    "customer_messages",
    "reopens",
    "escalated",
    "handle_seconds",
];
const CALL_COLUMNS: [&str; 14] = [
    "call_id",
    "offered_at",
    "direction",
    "queue",
    "outcome",
    "wait_seconds",
    "ivr_seconds",
    "talk_seconds",
    "hold_seconds",
    "acw_seconds",
    "agent",
    "team",
    "customer_id",
    "reason",
];
const SURVEY_COLUMNS: [&str; 6] = ["survey_id", "responded_at", "kind", "score", "ticket_id", "channel"];

pub struct Summary {
    pub tickets: u64,
    pub calls: u64,
    pub surveys: u64,
    pub agent_days: u64,
}

struct Gen {
    tz: Tz,
    export_end: NaiveDateTime,
    incident_start: NaiveDate,
    customers: u64,
    agents_by_team: [Vec<usize>; 4],
    handling: BTreeMap<(NaiveDate, usize), f64>,
    summary: Summary,
    next_survey: u64,
    surveys_factor: f64,
    /// Its own stream, so that thinning surveys leaves tickets and calls unchanged.
    thin: Rng,
}

impl Gen {
    fn utc(&self, t: NaiveDateTime) -> DateTime<Utc> {
        match self.tz.from_local_datetime(&t) {
            LocalResult::Single(x) => x.with_timezone(&Utc),
            LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
            // In a spring-forward gap: the first instant after it, so order is kept.
            LocalResult::None => {
                let h = t.date().and_hms_opt(t.hour(), 0, 0).expect("hour") + Duration::hours(1);
                self.utc(h)
            }
        }
    }

    fn fmt(&self, t: Option<NaiveDateTime>) -> String {
        match t {
            Some(t) if t < self.export_end => self.utc(t).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            _ => String::new(),
        }
    }

    /// Days into the incident, if `d` is in its two weeks.
    fn incident_day(&self, d: NaiveDate) -> Option<f64> {
        let k = (d - self.incident_start).num_days();
        (0..14).contains(&k).then_some(k as f64)
    }

    fn reason_weights(&self, d: NaiveDate, phone: bool) -> Vec<f64> {
        REASONS
            .iter()
            .map(|r| {
                let mut w = if phone { r.weight * r.phone } else { r.weight };
                if let Some(k) = self.incident_day(d) {
                    for (name, boost) in INCIDENT_REASONS {
                        if r.name == name {
                            w *= 1.0 + boost * (-k / 5.0).exp();
                        }
                    }
                }
                w
            })
            .collect()
    }

    fn pick_agent(&self, rng: &mut Rng, team: usize) -> usize {
        let ids = &self.agents_by_team[team];
        let w: Vec<f64> = ids.iter().map(|&i| AGENTS[i].load).collect();
        ids[rng.weighted(&w)]
    }

    fn customer(&self, rng: &mut Rng) -> String {
        // Skewed: a few customers contact us often, most once.
        let idx = (self.customers as f64 * rng.f64().powf(1.6)) as u64;
        format!("CUS-{:06}", 100_000 + idx)
    }

    fn local_time(&self, rng: &mut Rng, d: NaiveDate, hours: &[f64; 24]) -> NaiveDateTime {
        let h = rng.weighted(hours) as u32;
        let s = rng.range(0, 3599) as u32;
        d.and_hms_opt(h, s / 60, s % 60).expect("valid time")
    }

    fn add_handling(&mut self, t: NaiveDateTime, agent: usize, secs: f64) {
        if t < self.export_end {
            *self.handling.entry((t.date(), agent)).or_insert(0.0) += secs;
        }
    }
}

pub fn generate(opts: &Options) -> Result<Summary> {
    if opts.to < opts.from {
        bail!("--to {} is before --from {}", opts.to, opts.from);
    }
    if !(opts.scale > 0.0 && opts.scale <= 1000.0) {
        bail!("--scale {} is out of range: expected more than 0 and at most 1000", opts.scale);
    }
    if !(opts.calls_factor > 0.0 && opts.calls_factor <= 100.0) {
        bail!("--calls-factor {} is out of range: expected more than 0 and at most 100", opts.calls_factor);
    }
    if !(opts.surveys_factor > 0.0 && opts.surveys_factor <= 1.0) {
        bail!("--surveys-factor {} is out of range: expected more than 0 and at most 1", opts.surveys_factor);
    }
    std::fs::create_dir_all(&opts.out).with_context(|| format!("failed to create folder `{}`", opts.out.display()))?;
    let mut w = Writers {
        tickets: writer(&opts.out, "tickets.csv", &TICKET_COLUMNS)?,
        calls: writer(&opts.out, "calls.csv", &CALL_COLUMNS)?,
        surveys: writer(&opts.out, "surveys.csv", &SURVEY_COLUMNS)?,
    };
    let days = (opts.to - opts.from).num_days() + 1;
    let mut agents_by_team: [Vec<usize>; 4] = Default::default();
    for (i, a) in AGENTS.iter().enumerate() {
        agents_by_team[a.team].push(i);
    }
    let mut g = Gen {
        tz: opts.timezone,
        export_end: at(opts.to.succ_opt().expect("date"), 0),
        incident_start: opts.to - Duration::days(50),
        customers: ((days as f64) * 40.0 * opts.scale).max(50.0) as u64,
        agents_by_team,
        handling: BTreeMap::new(),
        summary: Summary { tickets: 0, calls: 0, surveys: 0, agent_days: 0 },
        next_survey: 500_000,
        surveys_factor: opts.surveys_factor,
        thin: Rng::new(opts.seed ^ 0x5eed_5eed),
    };
    let mut master = Rng::new(opts.seed);
    let mut next_ticket = 100_000u64;
    let mut next_call = 9_000_000u64;
    let mut d = opts.from;
    while d <= opts.to {
        let mut rng = master.fork(d.num_days_from_ce() as u64);
        let years = (d - opts.from).num_days() as f64 / 365.25;
        let growth = 1.0 + 0.18 * years;
        let base =
            opts.scale * WEEKDAY[d.weekday().num_days_from_monday() as usize] * SEASON[d.month0() as usize] * growth;
        tickets_for_day(&mut g, &mut w, &mut rng, d, base, &mut next_ticket)?;
        let cf = opts.calls_factor;
        calls_for_day(&mut g, &mut w, &mut rng, d, base * cf, opts.scale * cf, growth, &mut next_call)?;
        nps_for_day(&mut g, &mut w, &mut rng, d, base)?;
        d = d.succ_opt().expect("date");
    }
    w.tickets.flush()?;
    w.calls.flush()?;
    w.surveys.flush()?;
    write_agent_time(&mut g, opts)?;
    Ok(g.summary)
}

fn tickets_for_day(
    g: &mut Gen,
    w: &mut Writers,
    rng: &mut Rng,
    d: NaiveDate,
    base: f64,
    next_id: &mut u64,
) -> Result<()> {
    let weights = g.reason_weights(d, false);
    let base_total: f64 = REASONS.iter().map(|r| r.weight).sum();
    let total: f64 = weights.iter().sum();
    let n = rng.poisson(45.0 * base * total / base_total);
    // Response times suffer when the day is busy, and most during the incident.
    let load = (total / base_total).powf(0.8) * g.incident_day(d).map_or(1.0, |k| 1.0 + 1.4 * (-k / 7.0).exp());
    let channel_w: Vec<f64> = CHANNELS.iter().map(|c| c.1).collect();
    let mut rows = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let ch = CHANNELS[rng.weighted(&channel_w)].0;
        let live = matches!(ch, "chat" | "phone");
        let created = if live {
            if opening(d).is_none() {
                continue; // live channels are closed on Sundays
            }
            let mut t = g.local_time(rng, d, &HOURS_LIVE);
            if d.weekday().num_days_from_monday() == 5 && t.hour() >= 13 {
                t -= Duration::hours(4);
            }
            t
        } else {
            g.local_time(rng, d, &HOURS_ASYNC)
        };
        rows.push((created, ch, rng.next_u64()));
    }
    rows.sort();
    for (created, ch, sub_seed) in rows {
        let mut r = Rng::new(sub_seed);
        let ri = r.weighted(&weights);
        let reason = &REASONS[ri];
        let ai = g.pick_agent(&mut r, reason.team);
        let agent = &AGENTS[ai];
        let in_incident = g.incident_day(d).is_some() && INCIDENT_REASONS.iter().any(|x| x.0 == reason.name);
        let priority = {
            let pw = if in_incident { [0.10, 0.25, 0.55, 0.10] } else { [0.04, 0.14, 0.62, 0.20] };
            ["urgent", "high", "normal", "low"][r.weighted(&pw)]
        };
        let prio_f = match priority {
            "urgent" => 0.4,
            "high" => 0.7,
            "normal" => 1.0,
            _ => 1.3,
        };
        let overloaded = if agent.load > 2.0 { 1.6 } else { 1.0 };
        let frt_secs = match ch {
            "chat" => r.lognormal(110.0, 0.8),
            "phone" => r.lognormal(45.0, 0.5),
            "social" => r.lognormal(1.3 * 3600.0, 0.9),
            "email" => r.lognormal(3.2 * 3600.0, 0.9),
            _ => r.lognormal(4.0 * 3600.0, 0.9),
        } * agent.speed
            * load
            * overloaded
            * prio_f;
        let first_response = if ch == "chat" || ch == "phone" {
            created + Duration::milliseconds((frt_secs * 1000.0) as i64)
        } else {
            add_business(created, frt_secs)
        };
        let one_touch = r.chance(if ch == "chat" || ch == "phone" { 0.6 } else { 0.35 });
        let never_solved = r.chance(0.008);
        let incident_f = if in_incident { 1.8 } else { 1.0 };
        let (replies, mut solved) = if one_touch {
            (1u64, Some(first_response + Duration::seconds(r.lognormal(9.0 * 60.0, 0.5) as i64)))
        } else {
            let replies = 2 + r.poisson((reason.resolve_hours / 8.0).sqrt() * 1.2);
            let secs = r.lognormal(reason.resolve_hours * 3600.0, 1.0) * agent.speed * incident_f * overloaded;
            (replies, Some(add_business(first_response, secs)))
        };
        let mut first_resolved = None;
        let mut reopens = 0u64;
        if r.chance(0.05 * (1.0 - agent.quality)) {
            first_resolved = solved;
            reopens = if r.chance(0.12) { 2 } else { 1 };
            solved = solved.map(|s| add_business(s, r.lognormal(14.0 * 3600.0, 0.8)));
        }
        if never_solved {
            solved = None;
        }
        let escalated =
            r.chance(0.04 + if reason.team == 2 { 0.07 } else { 0.0 } + if priority == "urgent" { 0.1 } else { 0.0 });
        let handle = (0..replies).map(|_| r.lognormal(6.0 * 60.0, 0.5)).sum::<f64>() * agent.speed;
        let messages = 1 + r.poisson(0.6 + replies as f64 * 0.5);
        let customer = g.customer(&mut r);
        let fr_known = first_response < g.export_end;
        let solved_known = solved.filter(|s| *s < g.export_end);
        let closed = solved_known.map(|s| s + Duration::days(4)).filter(|c| *c < g.export_end);
        let status = match (fr_known, solved_known, closed) {
            (_, _, Some(_)) => "closed",
            (_, Some(_), None) => "solved",
            (false, None, _) => "new",
            (true, None, _) => ["open", "pending", "on_hold"][r.weighted(&[0.6, 0.3, 0.1])],
        };
        g.add_handling(first_response, ai, handle);
        let id = *next_id;
        *next_id += 1;
        w.tickets.write_record([
            id.to_string(),
            g.fmt(Some(created)),
            g.fmt(Some(first_response)),
            g.fmt(first_resolved.filter(|_| solved_known.is_some())),
            g.fmt(solved_known),
            g.fmt(closed),
            status.to_string(),
            ch.to_string(),
            priority.to_string(),
            reason.name.to_string(),
            reason.product.to_string(),
            agent.name.to_string(),
            TEAMS[agent.team].to_string(),
            customer,
            if fr_known { replies.to_string() } else { "0".into() },
            messages.to_string(),
            reopens.to_string(),
            escalated.to_string(),
            format!("{:.0}", handle),
        ])?;
        g.summary.tickets += 1;
        // Surveys sent on solve: CSAT to ~23%, CES to ~8%.
        if let Some(s) = solved_known {
            let res_hours = (s - created).num_seconds() as f64 / 3600.0;
            if r.chance(0.23) {
                let resp = s + Duration::seconds(r.exponential(8.0 * 3600.0) as i64);
                let logit = 3.0 - 0.5 * (1.0 + res_hours).ln() + agent.quality
                    - 0.9 * reopens.min(1) as f64
                    - if in_incident { 0.5 } else { 0.0 };
                let positive = r.chance(1.0 / (1.0 + (-logit).exp()));
                let score = if positive {
                    if r.chance(0.62) {
                        5
                    } else {
                        4
                    }
                } else {
                    [1, 2, 3][r.weighted(&[0.35, 0.3, 0.35])]
                };
                survey(g, w, resp, "csat", score, Some(id), ch)?;
            }
            if r.chance(0.08) {
                let resp = s + Duration::seconds(r.exponential(10.0 * 3600.0) as i64);
                let ease = 5.7 - 0.3 * (replies as f64 - 1.0) - 0.4 * (1.0 + res_hours / 24.0).ln() + 0.9 * r.normal();
                survey(g, w, resp, "ces", ease.round().clamp(1.0, 7.0) as i64, Some(id), ch)?;
            }
        }
    }
    Ok(())
}

fn survey(
    g: &mut Gen,
    w: &mut Writers,
    t: NaiveDateTime,
    kind: &str,
    score: i64,
    ticket: Option<u64>,
    channel: &str,
) -> Result<()> {
    if t >= g.export_end {
        return Ok(());
    }
    if g.surveys_factor < 1.0 && !g.thin.chance(g.surveys_factor) {
        return Ok(());
    }
    g.next_survey += 1;
    w.surveys.write_record([
        g.next_survey.to_string(),
        g.fmt(Some(t)),
        kind.to_string(),
        score.to_string(),
        ticket.map(|t| t.to_string()).unwrap_or_default(),
        channel.to_string(),
    ])?;
    g.summary.surveys += 1;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn calls_for_day(
    g: &mut Gen,
    w: &mut Writers,
    rng: &mut Rng,
    d: NaiveDate,
    base: f64,
    scale: f64,
    growth: f64,
    next_id: &mut u64,
) -> Result<()> {
    if opening(d).is_none() {
        return Ok(());
    }
    let weights = g.reason_weights(d, true);
    let base_total: f64 = REASONS.iter().map(|r| r.weight * r.phone).sum();
    let total: f64 = weights.iter().sum();
    let n = rng.poisson(60.0 * base * total / base_total);
    let peak = HOURS_LIVE.iter().cloned().fold(0.0, f64::max);
    let incident = g.incident_day(d).map_or(1.0, |k| 1.0 + 0.9 * (-k / 7.0).exp());
    let mut rows: Vec<(NaiveDateTime, u64)> = (0..n)
        .map(|_| {
            let mut t = g.local_time(rng, d, &HOURS_LIVE);
            if d.weekday().num_days_from_monday() == 5 && t.hour() >= 13 {
                t -= Duration::hours(4);
            }
            (t, rng.next_u64())
        })
        .collect();
    rows.sort();
    // Queue load grows neither with --scale nor with the yearly growth: staffing follows
    // the expected volume, not the day's surprises.
    let day_load = (total / base_total) * base / scale / growth;
    for (offered, sub_seed) in rows {
        let mut r = Rng::new(sub_seed);
        let reason = &REASONS[r.weighted(&weights)];
        let queue_team = if reason.team == 1 { 1 } else { 0 };
        let queue = if queue_team == 1 { "Billing" } else { "General" };
        let customer = g.customer(&mut r);
        let id = *next_id;
        *next_id += 1;
        let outbound = r.chance(0.04);
        let ivr = r.range(15, 60) as f64;
        // Occupancy of the queue this hour. Callers who find a free agent wait only the
        // ring; the others queue, and the queue lengthens steeply as occupancy nears 1.
        let rho = (HOURS_LIVE[offered.hour() as usize] / peak) * day_load.min(1.6) * incident;
        let p_queue = (0.15 + 0.55 * rho * rho).min(0.95);
        let mean_wait = 25.0 * (1.8 * (rho - 0.7)).exp();
        let (outcome, wait, agent) = if outbound {
            ("answered", 0.0, Some(g.pick_agent(&mut r, queue_team)))
        } else if r.chance(0.07) {
            ("ivr_resolved", 0.0, None)
        } else {
            let wait = if r.chance(p_queue) { r.exponential(mean_wait) } else { r.range(0, 4) as f64 };
            let patience = r.exponential(180.0);
            if patience < wait {
                if patience > 60.0 && r.chance(0.2) {
                    (if r.chance(0.5) { "voicemail" } else { "callback" }, patience, None)
                } else {
                    ("abandoned", patience, None)
                }
            } else if r.chance(0.04) {
                ("transferred", wait, Some(g.pick_agent(&mut r, queue_team)))
            } else {
                ("answered", wait, Some(g.pick_agent(&mut r, queue_team)))
            }
        };
        let (talk, hold, acw) = match agent {
            Some(ai) => {
                let a = &AGENTS[ai];
                let talk = r.lognormal(reason.talk, 0.5) * a.speed;
                let hold = if r.chance(0.35) { r.lognormal(50.0, 0.7) } else { 0.0 };
                let acw = r.lognormal(40.0, 0.5) * a.speed;
                g.add_handling(offered, ai, talk + hold + acw);
                (Some(talk), Some(hold), Some(acw))
            }
            None => (None, None, None),
        };
        let num = |x: Option<f64>| x.map(|v| format!("{v:.0}")).unwrap_or_default();
        w.calls.write_record([
            id.to_string(),
            g.fmt(Some(offered)),
            if outbound { "outbound" } else { "inbound" }.to_string(),
            queue.to_string(),
            outcome.to_string(),
            format!("{wait:.0}"),
            if outbound {
                "0".into()
            } else if outcome == "ivr_resolved" {
                format!("{:.0}", ivr * 3.0)
            } else {
                format!("{ivr:.0}")
            },
            num(talk),
            num(hold),
            num(acw),
            agent.map(|a| AGENTS[a].name.to_string()).unwrap_or_default(),
            agent.map(|a| TEAMS[AGENTS[a].team].to_string()).unwrap_or_default(),
            customer,
            reason.name.to_string(),
        ])?;
        g.summary.calls += 1;
    }
    Ok(())
}

fn nps_for_day(g: &mut Gen, w: &mut Writers, rng: &mut Rng, d: NaiveDate, base: f64) -> Result<()> {
    let n = rng.poisson(7.0 * base.max(0.3));
    // Relationship survey: the mood follows the service, worse for six weeks after the incident.
    let since = (d - g.incident_start).num_days();
    let after = (0..42).contains(&since);
    let (p, dt) = if after { (0.38, 0.33) } else { (0.50, 0.20) };
    for _ in 0..n {
        let t = g.local_time(rng, d, &HOURS_ASYNC);
        let u = rng.f64();
        let score = if u < p {
            if rng.chance(0.55) {
                10
            } else {
                9
            }
        } else if u < p + dt {
            [0, 1, 2, 3, 4, 5, 6][rng.weighted(&[0.3, 0.2, 0.3, 0.5, 0.8, 1.4, 1.8])]
        } else if rng.chance(0.5) {
            8
        } else {
            7
        };
        let ch = ["email", "web"][rng.weighted(&[0.7, 0.3])];
        survey(g, w, t, "nps", score, None, ch)?;
    }
    Ok(())
}

fn write_agent_time(g: &mut Gen, opts: &Options) -> Result<()> {
    let mut w = writer(
        &opts.out,
        "agent_time.csv",
        &["agent", "date", "team", "scheduled_seconds", "logged_in_seconds", "available_seconds", "handling_seconds"],
    )?;
    let mut rng = Rng::new(opts.seed ^ 0x5EED_A6E7);
    let mut d = opts.from;
    while d <= opts.to {
        let wd = d.weekday().num_days_from_monday();
        for (i, a) in AGENTS.iter().enumerate() {
            let handling = g.handling.get(&(d, i)).copied().unwrap_or(0.0);
            if handling <= 0.0 {
                continue;
            }
            // Time scheduled on the contact queues: set so that agents run at about 70%
            // utilization, the two overloaded ones above 90%, within their contract hours.
            let cap = if wd == 5 { 4.0 } else { a.hours } * 3600.0;
            let u = if a.load > 2.0 { 0.93 } else { (0.70 + 0.05 * rng.normal()).clamp(0.55, 0.85) };
            let scheduled = ((handling / u / 900.0).ceil() * 900.0).clamp(1800.0, cap);
            let logged = (scheduled * (0.9 + 0.09 * rng.f64())).max(handling);
            w.write_record([
                a.name.to_string(),
                d.to_string(),
                TEAMS[a.team].to_string(),
                format!("{scheduled:.0}"),
                format!("{logged:.0}"),
                format!("{:.0}", (logged - handling).max(0.0)),
                format!("{handling:.0}"),
            ])?;
            g.summary.agent_days += 1;
        }
        d = d.succ_opt().expect("date");
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn business_time_skips_nights_and_sundays() {
        // Friday 18:00 + 2 h of open time: 1 h on Friday, then Saturday 09:00 + 1 h.
        assert_eq!(add_business(dt("2026-09-04 18:00"), 7200.0), dt("2026-09-05 10:00"));
        // Saturday 12:30 + 1 h: 30 min on Saturday, Sunday closed, Monday 08:30.
        assert_eq!(add_business(dt("2026-09-05 12:30"), 3600.0), dt("2026-09-07 08:30"));
        // Created at night: the clock starts at opening.
        assert_eq!(next_open(dt("2026-09-08 02:10")), dt("2026-09-08 08:00"));
    }
}
