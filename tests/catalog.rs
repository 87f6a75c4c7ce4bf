//! The whole metric catalogue on a hand-built week (tests/fixtures/catalog), period
//! 2026-W13 in Europe/Paris: Monday 23 March 00:00 CET to Monday 30 March 00:00 CEST
//! (2026-03-22T23:00Z – 2026-03-29T22:00Z, 167 h: summer time starts on the 29th).
//! Business calendar: Monday–Friday 09:00–17:00, Friday 27 March a holiday.
//! --as-of: Monday 30 March 10:00 CEST (08:00Z). Every expectation shows its arithmetic.

use csreport::config::Config;
use csreport::metrics::{self, MetricSet};
use csreport::period::Period;
use std::path::{Path, PathBuf};

const AS_OF: i64 = 1_774_857_600_000; // 2026-03-30T08:00:00Z

fn dir() -> PathBuf {
    Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test")).join("tests/fixtures/catalog")
}

fn config(extra: &str) -> Config {
    let text = std::fs::read_to_string(dir().join("report.toml")).unwrap() + extra;
    Config::parse(&text, "catalog/report.toml").unwrap()
}

fn run_with(cfg: &Config, period: &str) -> MetricSet {
    let mut data = csreport::load::load_all(cfg, &dir()).unwrap();
    metrics::prepare::prepare(&mut data, cfg).unwrap();
    metrics::compute(&data, cfg, &Period::parse(period).unwrap(), AS_OF).unwrap()
}

fn week() -> MetricSet {
    run_with(&config(""), "2026-W13")
}

#[track_caller]
fn approx(v: Option<f64>, want: f64) {
    let v = v.unwrap_or_else(|| panic!("expected {want}, got n/a"));
    assert!((v - want).abs() < 1e-6, "expected {want}, got {v}");
}

#[test]
fn as_of_constant_is_monday_morning() {
    assert_eq!(chrono::DateTime::from_timestamp_millis(AS_OF).unwrap().to_rfc3339(), "2026-03-30T08:00:00+00:00");
}

#[test]
fn volume_and_backlog() {
    let m = week();
    // Created in the week: A1 (Mon), A2 (Tue), A6 (Wed), A3 (Thu), A5 (Sat) = 5; A4 is from the 20th.
    assert_eq!(m.value("tickets_created"), Some(5.0));
    approx(m.value("tickets_per_day"), 5.0 / 7.0);
    // Solved in the week: A1 (Mon), A4 (Tue, created the week before), A6 (Wed), A2 (Thu) = 4.
    assert_eq!(m.value("tickets_solved"), Some(4.0));
    approx(m.value("completion_ratio"), 80.0); // 4 / 5
                                               // Open at the end: A3 (never solved), A5 (never solved) = 2. Open at the start: A4 = 1.
    assert_eq!(m.value("backlog_end"), Some(2.0));
    assert_eq!(m.value("backlog_change"), Some(1.0));
    // Ages at 29 Mar 22:00Z: A3 (26 Mar 15:00Z) 3 d 7 h → 3–7d; A5 (28 Mar 10:00Z) 1 d 12 h → 1–3d.
    let age = m.breakdown("backlog_age");
    let counts: Vec<(&str, f64)> = age.rows.iter().map(|r| (r.key.as_str(), r.values[0].value.unwrap())).collect();
    assert_eq!(counts, [("<1d", 0.0), ("1-3d", 1.0), ("3-7d", 1.0), (">7d", 0.0)]);
    // Channels of the 5 created: email A1 A3 A6 = 3 (60%), chat A2 = 1, web A5 = 1.
    let mix = m.breakdown("channel_mix");
    let email = mix.row("email").unwrap();
    assert_eq!(email.values[0].value, Some(3.0));
    approx(email.values[1].value, 60.0);
    approx(mix.row("web").unwrap().values[1].value, 20.0);
    // Customers: tickets created C1 (A1, A3), C2 (A2), C4 (A6) — A5 has none — and calls
    // offered C5 (K1, K2), C2 (K3), C6 (K4), C9 (K7), C10 (K9): {C1 C2 C4 C5 C6 C9 C10} = 7.
    assert_eq!(m.value("unique_customers"), Some(7.0));
    // Heat map: Monday 09h has calls K1 and K2 and no ticket; one Monday in the week → 2 a day.
    let cell = m.breakdown("contacts_by_weekday_hour").row("Mon 09").unwrap().clone();
    assert_eq!((cell.values[0].value, cell.values[1].value, cell.values[2].value), (Some(0.0), Some(2.0), Some(2.0)));
}

#[test]
fn response_and_resolution_in_calendar_and_business_time() {
    let m = week();
    // Calendar FRT of tickets created in the week with a response:
    // A1 10:00→11:00 = 3600; A2 Tue 16:00→Wed 10:00 = 18 h = 64800;
    // A3 Thu 16:00 CET (15:00Z) → Mon 30 09:30 CEST (07:30Z) = 3 d 16.5 h = 318600 (the
    // DST night makes it one hour shorter than the wall clocks say; it answered after the
    // period and still counts). A6 answered before it was created: excluded and counted.
    // Sorted 3600, 64800, 318600 → median 64800.
    let frt = m.get("first_response_time");
    approx(frt.value, 64800.0);
    assert_eq!((frt.n, frt.excluded), (3, 1));
    // Business: A1 1 h = 3600; A2 Tue 16–17 + Wed 09–10 = 7200; A3 Thu 16–17, Friday a
    // holiday, weekend closed, Mon 09:00–09:30 = 1.5 h = 5400 → sorted 3600 5400 7200 → 5400.
    let frtb = m.get("first_response_time_business");
    approx(frtb.value, 5400.0);
    assert_eq!((frtb.n, frtb.excluded), (3, 1));
    // No response before the period end: A3 (Monday 30th) and A5 (none) = 2.
    assert_eq!(m.value("no_response_yet"), Some(2.0));
    // Calendar resolution of the 4 solved: A1 5 h = 18000; A2 Tue 16:00 → Thu 16:30 =
    // 48.5 h = 174600; A4 Fri 20 10:00 → Tue 24 11:00 = 97 h = 349200; A6 3 h = 10800.
    // Sorted 10800 18000 174600 349200 → median (18000 + 174600) / 2 = 96300.
    approx(m.value("resolution_time"), 96300.0);
    // Business: A1 18000; A2 1 + 8 + 7.5 h = 59400; A4 7 + 8 + 2 h = 61200; A6 10800.
    // Sorted 10800 18000 59400 61200 → median (18000 + 59400) / 2 = 38700.
    approx(m.value("resolution_time_business"), 38700.0);
    let d = m.get("resolution_time").distribution.unwrap();
    approx(Some(d.mean), (18000.0 + 174600.0 + 349200.0 + 10800.0) / 4.0);
}

#[test]
fn sla_with_the_not_yet_responded_rule_and_the_export_flag() {
    let m = week();
    // First response, business clock; targets urgent 1800, high 7200, normal 14400, low 28800.
    // A1 normal 3600 ≤ 14400 met; A2 high 7200 ≤ 7200 met; A3 urgent 5400 > 1800 breached;
    // A5 normal, no response, open time Sat 11:00 → as-of Mon 10:00 = 1 h ≤ 4 h: met so far;
    // A6 normal: the export says breached, which wins. 3 of 5 = 60%.
    let fr = m.get("sla_first_response");
    approx(fr.value, 60.0);
    assert_eq!((fr.numerator, fr.denominator), (Some(3.0), Some(5.0)));
    // Resolution: A1 18000 ≤ 172800, A2 59400 ≤ 86400, A6 10800 ≤ 172800 met;
    // A3 urgent unsolved, open time Thu 16–17 + Mon 09–10 = 2 h ≤ 4 h: met so far;
    // A5 unsolved 1 h: met so far → 5 of 5.
    approx(m.value("sla_resolution"), 100.0);
    let by = m.breakdown("sla_by_priority");
    // normal: A1 met, A5 met, A6 breached → 2 / 3; urgent: A3 breached → 0 / 1.
    approx(by.row("normal").unwrap().get("sla_first_response").unwrap().value, 200.0 / 3.0);
    approx(by.row("urgent").unwrap().get("sla_first_response").unwrap().value, 0.0);
    approx(by.row("high").unwrap().get("sla_first_response").unwrap().value, 100.0);
}

#[test]
fn sla_on_the_calendar_clock() {
    let m = run_with(&config("").clone_with_clock(), "2026-W13");
    // Calendar: A1 3600 met; A2 64800 > 7200 breached; A3 318600 > 1800 breached;
    // A5 age Sat 11:00 CET → Mon 10:00 CEST = 46 h > 4 h breached; A6 export breached → 1/5.
    approx(m.value("sla_first_response"), 20.0);
}

trait WithClock {
    fn clone_with_clock(&self) -> Config;
}

impl WithClock for Config {
    fn clone_with_clock(&self) -> Config {
        let mut c = self.clone();
        c.sla.clock = csreport::config::Clock::Calendar;
        c
    }
}

#[test]
fn fcr_variants_reopens_escalations_interactions() {
    let m = week();
    // Solved in the week: A1 (1 reply, 0 reopens), A2 (3, 1), A4 (2, 0), A6 (1, 0).
    // one_touch: A1, A6 → 2 / 4 = 50%.
    let fcr = m.get("fcr");
    assert_eq!(fcr.variant.as_deref(), Some("one_touch"));
    approx(fcr.value, 50.0);
    // no_reopen: A1, A4, A6 → 75%.
    approx(fcr.variants["no_reopen"], 75.0);
    // no_repeat_contact: A1 (C1 Billing) is followed by A3 (C1 Billing) 3 days later;
    // A2 (C2 Login, Tue) by call K3 (C2 Login, Wed); A4 and A6 are not → 2 / 4 = 50%.
    approx(fcr.variants["no_repeat_contact"], 50.0);
    // Reopened: A2 of 4 solved = 25%.
    approx(m.value("reopen_rate"), 25.0);
    // Escalated among created with a value (A5 has none): A2 of A1 A2 A3 A6 = 25%.
    let esc = m.get("escalation_rate");
    approx(esc.value, 25.0);
    assert_eq!(esc.n, 4);
    // Agent replies over solved: (1 + 3 + 2 + 1) / 4 = 1.75.
    approx(m.value("interactions_per_ticket"), 1.75);
    // The no_repeat_contact variant in force changes the headline.
    let mut cfg = config("");
    cfg.metrics.fcr_variant = csreport::config::FcrVariant::NoRepeatContact;
    approx(run_with(&cfg, "2026-W13").value("fcr"), 50.0);
}

#[test]
fn call_metrics_and_service_level_variants() {
    let m = week();
    // Inbound in the week: K1..K7, K9. K5 waited 2 s: a short abandon. K6 stayed in the IVR.
    // Offered: K1 K2 K3 K4 K7 K9 = 6; answered K1 K2 K3 = 3; abandoned K4 K9 = 2.
    assert_eq!(m.value("calls_offered"), Some(6.0));
    assert_eq!(m.value("calls_answered"), Some(3.0));
    assert_eq!(m.value("calls_abandoned"), Some(2.0));
    assert_eq!(m.value("short_abandons"), Some(1.0));
    approx(m.value("abandonment_rate"), 200.0 / 6.0);
    // Answered within 20 s: K1 (5), K3 (15) = 2; abandoned within 20 s: K9 (10) = 1.
    let sl = m.get("service_level");
    approx(sl.value, 200.0 / 6.0); // abandons_negative: 2 / 6
    approx(sl.variants["abandons_ignored"], 200.0 / 3.0); // 2 / 3
    approx(sl.variants["abandons_positive"], 50.0); // (2 + 1) / 6
    approx(m.value("asa"), (5.0 + 30.0 + 15.0) / 3.0);
    // Handle: K1 200+0+30 = 230, K2 400+60+50 = 510, K3 300+0+40 = 340 → 1080 / 3 = 360.
    approx(m.value("aht"), 360.0);
    approx(m.value("acw"), 40.0); // (30 + 50 + 40) / 3
                                  // Repeat calls: K1 (C5) is followed by K2 (C5) ten minutes later; K2 and K3 are not → 1/3.
    approx(m.value("repeat_call_rate"), 100.0 / 3.0);
    // IVR: 1 / (1 + 6).
    approx(m.value("ivr_containment"), 100.0 / 7.0);
}

#[test]
fn customer_metrics_and_groups() {
    let m = week();
    // CSAT: S1 5, S2 3, S3 4 → 2 satisfied of 3. tickets.csat_score is mapped but empty
    // in every row (an all-null column): it adds no response.
    approx(m.value("csat"), 200.0 / 3.0);
    assert_eq!(m.get("csat").n, 3);
    // CES: S4 6, S5 3 → mean 4.5; agree (≥ 5) 1 of 2.
    let ces = m.get("ces");
    approx(ces.value, 4.5);
    approx(ces.parts.get("agree_pct").copied(), 50.0);
    // NPS: 9 (promoter), 4 (detractor) → (1 − 1) / 2 = 0.
    approx(m.value("nps"), 0.0);
    // Response rate: of A1 A2 A4 A6 solved, A1 A2 A4 have a CSAT response → 75%.
    approx(m.value("survey_response_rate"), 75.0);
    // By channel through the ticket: email A1 (5), A4 (4) → 100%; chat A2 (3) → 0%.
    let ch = m.breakdown("csat_by_channel");
    approx(ch.row("email").unwrap().values[0].value, 100.0);
    approx(ch.row("chat").unwrap().values[0].value, 0.0);
    // CES by reason: Billing A6 → 6; Login A2 → 3.
    let r = m.breakdown("ces_by_reason");
    approx(r.row("Billing").unwrap().values[0].value, 6.0);
    approx(r.row("Login").unwrap().values[0].value, 3.0);
}

#[test]
fn agents_teams_workload_utilization_cost() {
    let m = week();
    let agents = m.breakdown("by_agent");
    let ann = agents.row("Ann").unwrap();
    // Ann: solved A1; answered K1 (K8 is outbound); FRT of A1 3600 and A3 318600 → median
    // 161100 on n = 2, below the agent minimum of 10: low n.
    assert_eq!(ann.get("tickets_solved").unwrap().value, Some(1.0));
    assert_eq!(ann.get("calls_answered").unwrap().value, Some(1.0));
    let frt = ann.get("first_response_time").unwrap();
    approx(frt.value, 161100.0);
    assert!(frt.low_n);
    // Bob: solved A2, A6; one_touch A6 only → 50%; AHT (510 + 340) / 2 = 425; CSAT of A2: 0%.
    let bob = agents.row("Bob").unwrap();
    approx(bob.get("fcr").unwrap().value, 50.0);
    approx(bob.get("aht").unwrap().value, 425.0);
    approx(bob.get("csat").unwrap().value, 0.0);
    let t1 = m.breakdown("by_team").row("T1").unwrap().clone();
    // T1: solved A1 A2 A6 = 3.
    assert_eq!(t1.get("tickets_solved").unwrap().value, Some(3.0));
    // Workload: solved Ann 1, Bob 2, Cid 1 → mean 4/3, population sd sqrt(2/9) → CV 0.353553.
    approx(m.value("workload_balance"), (2.0f64 / 9.0).sqrt() / (4.0 / 3.0));
    let w = m.breakdown("workload");
    // Handle time: Ann A1 600 + K1 230 = 830; Bob A2 1200 + A6 300 + K2 510 + K3 340 = 2350;
    // Cid A4 900 → total 4080; Bob 2350 / 4080.
    approx(w.row("Bob").unwrap().values[2].value, 2350.0 / 4080.0 * 100.0);
    approx(w.row("Bob").unwrap().values[1].value, 50.0);
    // T1 median of Ann 1 and Bob 2 = 1.5; nobody above 1.5 × 1.5.
    assert!(w.rows.iter().all(|r| r.flags.is_empty()));
    // Utilization: handling computed (agent_time has no handling_seconds) = calls 1080 +
    // tickets solved 600 + 1200 + 900 + 300 = 4080; scheduled 3600 + 4000 + 2000 = 9600
    // (the 30th is outside) → 42.5%; logged in 3400 + 3800 + 1900 = 9100 → 44.835%.
    approx(m.value("utilization"), 42.5);
    approx(m.value("occupancy"), 4080.0 / 9100.0 * 100.0);
    // Cost: 30 × 9600 / 3600 h = 80 / (4 solved + 3 answered) = 11.4286.
    approx(m.value("cost_per_contact"), 80.0 / 7.0);
}

#[test]
fn an_empty_period_gives_zeros_and_n_a_never_nan() {
    let m = run_with(&config(""), "2025-W13");
    assert_eq!(m.value("tickets_created"), Some(0.0));
    for id in [
        "completion_ratio",
        "first_response_time",
        "resolution_time",
        "csat",
        "nps",
        "ces",
        "service_level",
        "aht",
        "fcr",
        "utilization",
        "cost_per_contact",
    ] {
        let v = m.get(id);
        assert!(v.is_available(), "{id} should be available");
        assert_eq!(v.value, None, "{id} should be n/a, got {:?}", v.value);
    }
    let json = serde_json::to_string(&m).unwrap();
    assert!(!json.contains("NaN") && !json.contains("inf"), "{json}");
}

#[test]
fn missing_inputs_say_what_they_need() {
    let text = "[report]\ntimezone = \"Europe/Paris\"\n[inputs.tickets]\npath = \"tickets.csv\"\n";
    let cfg = Config::parse(text, "t.toml").unwrap();
    let m = run_with(&cfg, "2026-W13");
    assert_eq!(m.get("service_level").needs, ["calls.outcome", "calls.wait_seconds"]);
    assert_eq!(m.get("first_response_time_business").needs, ["config.calendar"]);
    assert_eq!(m.get("sla_first_response").needs, ["config.sla.first_response"]);
    assert_eq!(m.get("utilization").needs, ["agent_time"]);
    assert_eq!(m.get("cost_per_contact").needs, ["config.cost"]);
    assert_eq!(m.value("tickets_created"), Some(5.0));
}

#[test]
fn ticket_ratings_on_another_scale_are_refused_unless_rescaled() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("t.csv"),
        "ticket_id,created_at,solved_at,csat_score\nX1,2026-03-23 10:00,2026-03-23 12:00,9\nX2,2026-03-23 10:00,2026-03-23 12:00,4\n",
    )
    .unwrap();
    std::fs::write(tmp.path().join("s.csv"), "responded_at,kind,score\n2026-03-24 10:00,csat,5\n").unwrap();
    let base = "[report]\ntimezone = \"UTC\"\n[inputs.tickets]\npath = \"t.csv\"\n[inputs.surveys]\npath = \"s.csv\"\n[tickets]\ncsat_min = 1\ncsat_max = 10\n";
    let run = |extra: &str| {
        let cfg = Config::parse(&format!("{base}{extra}"), "t.toml").unwrap();
        let mut data = csreport::load::load_all(&cfg, tmp.path()).unwrap();
        metrics::prepare::prepare(&mut data, &cfg).unwrap();
        metrics::compute(&data, &cfg, &Period::parse("2026-W13").unwrap(), AS_OF)
    };
    let err = format!("{:#}", run("").unwrap_err());
    assert!(err.contains("two scales: surveys on 1–5 and tickets.csat_score on 1–10"), "{err}");
    // Rescaled: 9 → 1 + 8 × 4/9 = 4.56 (satisfied), 4 → 2.33 (not), survey 5 → 2 of 3.
    let m = run("csat_rescale = true\n").unwrap();
    approx(m.value("csat"), 200.0 / 3.0);
}

#[test]
fn an_abandon_without_a_wait_time_is_abandoned_not_lost() {
    // Regression: the short-abandon test on a missing wait was null, and `not short`
    // then dropped the call from calls offered (the PwC export lost all 946 abandons).
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("c.csv"),
        "call_id,offered_at,outcome,wait_seconds\nA,2026-03-23 10:00,answered,10\nB,2026-03-23 10:05,abandoned,\nC,2026-03-23 10:06,abandoned,2\n",
    )
    .unwrap();
    let cfg = Config::parse("[report]\ntimezone = \"UTC\"\n[inputs.calls]\npath = \"c.csv\"\n", "c.toml").unwrap();
    let mut data = csreport::load::load_all(&cfg, tmp.path()).unwrap();
    metrics::prepare::prepare(&mut data, &cfg).unwrap();
    let m = metrics::compute(&data, &cfg, &Period::parse("2026-W13").unwrap(), AS_OF).unwrap();
    // A answered, B abandoned (no wait: not short), C a short abandon → offered 2, 1 abandoned.
    assert_eq!(m.value("calls_offered"), Some(2.0));
    assert_eq!(m.value("short_abandons"), Some(1.0));
    approx(m.value("abandonment_rate"), 50.0);
}
