//! Request drivers on a hand-built fixture: September 2026 against August, UTC.
//! Every expectation shows its arithmetic; ties are broken by name in byte order.

use csreport::config::Config;
use csreport::drivers::{self, Drivers};
use csreport::metrics::{self, Window};
use csreport::period::Period;

const TICKETS: &str = "ticket_id,created_at,solved_at,reason,product,location,channel
T1,2026-09-01 10:00,2026-09-01 12:00,Billing,Shop,Paris,email
T2,2026-09-02 10:00,2026-09-02 11:00,Billing,Shop,Lyon,chat
T3,2026-09-03 10:00,2026-09-03 14:00,Billing,App,Paris,email
T4,2026-09-04 10:00,2026-09-05 10:00,Login,App,Paris,email
T5,2026-09-05 10:00,,Login,App,Lyon,web
T6,2026-09-06 10:00,2026-09-06 16:00,Refund,Shop,Paris,email
T7,2026-09-07 10:00,2026-09-07 11:00,Outage,App,Paris,chat
A1,2026-08-10 10:00,2026-08-10 11:00,Billing,Shop,Paris,email
A2,2026-08-11 10:00,2026-08-11 11:00,Login,App,Paris,email
A3,2026-08-12 10:00,2026-08-12 11:00,Refund,Shop,Lyon,email
A4,2026-08-13 10:00,2026-08-13 11:00,Refund,Shop,Paris,email
";

const CALLS: &str = "call_id,offered_at,outcome,wait_seconds,talk_seconds,reason
K1,2026-09-01 09:00,answered,10,300,Login
K2,2026-09-02 09:00,answered,5,100,Login
K3,2026-09-03 09:00,abandoned,30,,Refund
K4,2026-09-04 09:00,answered,10,200,Billing
K5,2026-08-04 09:00,answered,10,100,Billing
";

const SURVEYS: &str = "responded_at,kind,score,ticket_id
2026-09-01 13:00,csat,5,T1
2026-09-02 13:00,csat,2,T2
2026-09-05 13:00,csat,4,T4
2026-09-01 14:00,ces,6,T1
2026-09-05 14:00,ces,2,T4
";

fn run(extra: &str) -> Drivers {
    let (data, cfg) = fixture(extra);
    drivers::compute(&data, &cfg, &Period::parse("2026-09").unwrap(), w("2026-09"), w("2026-08")).unwrap()
}

fn w(p: &str) -> Window {
    let (start, end) = Period::parse(p).unwrap().bounds_ms(chrono_tz::UTC);
    Window { start, end }
}

fn fixture(extra: &str) -> (csreport::load::Loaded, Config) {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("t.csv"), TICKETS).unwrap();
    std::fs::write(tmp.path().join("c.csv"), CALLS).unwrap();
    std::fs::write(tmp.path().join("s.csv"), SURVEYS).unwrap();
    let text = format!(
        "[report]\ntimezone = \"UTC\"\n[inputs.tickets]\npath = \"t.csv\"\n[inputs.calls]\npath = \"c.csv\"\n[inputs.surveys]\npath = \"s.csv\"\n[drivers]\ntop = 3\n{extra}\n[drivers.owners]\nLogin = \"Identity team\"\n"
    );
    let cfg = Config::parse(&text, "d.toml").unwrap();
    let mut data = csreport::load::load_all(&cfg, tmp.path()).unwrap();
    metrics::prepare::prepare(&mut data, &cfg).unwrap();
    (data, cfg)
}

#[test]
fn top_drivers_together_with_change_owner_and_kpis() {
    let d = run("");
    // September: tickets Billing 3, Login 2, Refund 1, Outage 1; calls offered Login 2
    // (K1 K2), Refund 1 (K3), Billing 1 (K4) → Billing 4, Login 4, Refund 2, Outage 1 = 11.
    // August: tickets Billing 1, Login 1, Refund 2 + call Billing 1 → 2, 1, 2 = 5.
    assert_eq!((d.total, d.total_prev, d.distinct), (11, 5, 4));
    let names: Vec<&str> = d.top.iter().map(|r| r.name.as_str()).collect();
    // Billing and Login tie at 4: byte order puts Billing first. Top 3 only.
    assert_eq!(names, ["Billing", "Login", "Refund"]);
    let billing = &d.top[0];
    assert_eq!(
        (billing.count, billing.tickets, billing.calls, billing.prev_count, billing.delta_count),
        (4, 3, 1, 2, 2)
    );
    // Share 4/11 = 36.36% against 2/5 = 40%: −3.64 points.
    assert!((billing.share - 400.0 / 11.0).abs() < 1e-9);
    assert!((billing.delta_share_pts - (400.0 / 11.0 - 40.0)).abs() < 1e-9);
    // Median resolution of Billing tickets solved in September: 2 h, 1 h, 4 h → 2 h.
    assert_eq!(billing.median_resolution_seconds, Some(7200.0));
    // CSAT through the ticket link: T1 5 (satisfied), T2 2 → 50% on 2; CES T1 6.
    assert_eq!((billing.csat, billing.csat_n), (Some(50.0), 2));
    assert_eq!((billing.ces, billing.ces_n), (Some(6.0), 1));
    // AHT of Billing calls answered: K4 200 s.
    assert_eq!(billing.aht_seconds, Some(200.0));
    let login = &d.top[1];
    // Login: (300 + 100) / 2 = 200 s AHT; CSAT T4 4 → 100%; CES T4 2; owner from config.
    assert_eq!((login.aht_seconds, login.csat, login.ces), (Some(200.0), Some(100.0), Some(2.0)));
    assert_eq!(login.owner.as_deref(), Some("Identity team"));
    assert_eq!(billing.owner, None);
    // 4/11 vs 1/5 is not significant on these few contacts.
    assert_eq!(login.significant, Some(false));
}

#[test]
fn emerging_and_new_drivers() {
    let d = run("");
    // Changes: Billing +2, Login +3, Refund 0, Outage +1 → Login grew most.
    assert_eq!(d.emerging.as_ref().unwrap().name, "Login");
    // Outage had no contact in August.
    assert_eq!(d.new_drivers, ["Outage"]);
}

#[test]
fn tickets_and_calls_apart() {
    let d = run("");
    // Tickets only: Billing 3, Login 2, then Outage and Refund tie at 1: O before R.
    let t: Vec<(&str, u64)> = d.top_tickets.iter().map(|r| (r.name.as_str(), r.count)).collect();
    assert_eq!(t, [("Billing", 3), ("Login", 2), ("Outage", 1)]);
    // Calls only: Login 2, then Billing and Refund at 1.
    let c: Vec<(&str, u64)> = d.top_calls.iter().map(|r| (r.name.as_str(), r.count)).collect();
    assert_eq!(c, [("Login", 2), ("Billing", 1), ("Refund", 1)]);
    // With sources = ["tickets"], calls do not count at all.
    let d = run("sources = [\"tickets\"]");
    assert_eq!(d.total, 7);
    assert!(d.top_calls.is_empty());
}

#[test]
fn breakdowns_by_product_and_location() {
    let d = run("");
    // Products (tickets created in September): App T3 T4 T5 T7 = 4, Shop T1 T2 T6 = 3.
    let p = d.by_product.unwrap();
    let rows: Vec<(&str, u64, u64)> = p.rows.iter().map(|r| (r.name.as_str(), r.count, r.prev_count)).collect();
    // August: Shop A1 A3 A4 = 3, App A2 = 1.
    assert_eq!(rows, [("App", 4, 1), ("Shop", 3, 3)]);
    // Locations: Paris T1 T3 T4 T6 T7 = 5, Lyon T2 T5 = 2.
    let l = d.by_location.unwrap();
    assert_eq!(l.rows.iter().map(|r| (r.name.as_str(), r.count)).collect::<Vec<_>>(), [("Paris", 5), ("Lyon", 2)]);
}

#[test]
fn heat_maps_as_data() {
    let d = run("");
    // CSAT by driver × channel (channel from the ticket): Billing email T1 5 → 100%,
    // Billing chat T2 2 → 0%; Login email T4 4 → 100%; no response for Refund.
    let h = d.csat_heatmap.unwrap();
    assert_eq!(h.rows, ["Billing", "Login", "Refund"]);
    assert_eq!(h.columns, ["chat", "email"]);
    assert_eq!(h.values, [vec![Some(0.0), Some(100.0)], vec![None, Some(100.0)], vec![None, None]]);
    assert_eq!(h.n, [vec![1, 1], vec![0, 1], vec![0, 0]]);
    // Contacts by weekday × hour: T1 (Tue 1 Sep 10:00) and K1 (Tue 09:00) among others;
    // September 2026 has five Tuesdays, so 10:00 on Tuesdays is 1 / 5 a day.
    let c = d.contacts_heatmap.unwrap();
    let tue = c.rows.iter().position(|r| r == "Tue").unwrap();
    assert_eq!(c.n[tue][10], 1);
    assert_eq!(c.values[tue][10], Some(0.2));
    // A report gives the drivers its period's weekday × hour counts: the same heat map.
    let (data, cfg) = fixture("");
    let september = Period::parse("2026-09").unwrap();
    let set = metrics::compute_with(&data, &cfg, &september, w("2026-10").start, false, true).unwrap();
    let counted = set.breakdowns.iter().find(|b| b.id == "contacts_by_weekday_hour" && b.needs.is_empty());
    assert!(counted.is_some());
    let given = drivers::compute_with_counts(&data, &cfg, &september, w("2026-09"), w("2026-08"), counted).unwrap();
    let given = given.contacts_heatmap.unwrap();
    assert_eq!((given.n, given.values), (c.n, c.values));
    assert_eq!((given.rows, given.columns), (c.rows, c.columns));
}
