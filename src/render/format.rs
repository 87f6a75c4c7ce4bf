//! Numbers, dates and sentences in the report's language. Templates receive strings
//! formatted here, never raw floats.

use crate::compare::Delta;
use crate::metrics::catalog::{self, Unit};
use chrono::{Datelike, NaiveDate};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    pub fn parse(s: &str) -> anyhow::Result<Lang> {
        match s {
            "en" => Ok(Lang::En),
            "fr" => Ok(Lang::Fr),
            _ => anyhow::bail!("language `{s}`: expected en or fr"),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }
}

/// Short axis labels: 1200 → 1.2k.
pub fn compact(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else if a >= 10.0 || v == v.round() {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

pub struct Fmt {
    pub lang: Lang,
}

const MONTHS_EN: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const MONTHS_FR: [&str; 12] =
    ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."];

impl Fmt {
    pub fn new(lang: Lang) -> Fmt {
        Fmt { lang }
    }

    fn fr(&self) -> bool {
        self.lang == Lang::Fr
    }

    /// A number with `decimals`, thousands grouped (en: 1,234.5; fr: 1 234,5 with a
    /// narrow no-break space).
    pub fn num(&self, v: f64, decimals: usize) -> String {
        let s = format!("{:.*}", decimals, v.abs());
        let (int, frac) = s.split_once('.').map(|(a, b)| (a.to_string(), Some(b.to_string()))).unwrap_or((s, None));
        let sep = if self.fr() { "\u{202F}" } else { "," };
        let mut grouped = String::new();
        for (i, ch) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                grouped.push_str(sep);
            }
            grouped.push(ch);
        }
        let neg = v < 0.0 && s_nonzero(&grouped, &frac);
        let mut out = if neg { format!("−{grouped}") } else { grouped };
        if let Some(f) = frac {
            out.push(if self.fr() { ',' } else { '.' });
            out.push_str(&f);
        }
        out
    }

    pub fn percent(&self, v: f64) -> String {
        if self.fr() {
            format!("{}\u{202F}%", self.num(v, 1))
        } else {
            format!("{}%", self.num(v, 1))
        }
    }

    pub fn duration(&self, secs: f64) -> String {
        let (v, unit, d) = if secs < 120.0 {
            (secs, "s", 0)
        } else if secs < 7200.0 {
            (secs / 60.0, "min", 1)
        } else if secs < 48.0 * 3600.0 {
            (secs / 3600.0, "h", 1)
        } else {
            (secs / 86400.0, if self.fr() { "j" } else { "d" }, 1)
        };
        format!("{} {unit}", self.num(v, d))
    }

    /// A metric value in its unit; "n/a" for none.
    pub fn value(&self, unit: Unit, v: Option<f64>) -> String {
        let Some(v) = v else { return "n/a".into() };
        match unit {
            Unit::Count => self.num(v, 0),
            Unit::Percent => self.percent(v),
            Unit::Seconds => self.duration(v),
            Unit::Score => {
                let s = self.num(v, 1);
                if v > 0.0 {
                    format!("+{s}")
                } else {
                    s
                }
            }
            Unit::Scale => self.num(v, 2),
            Unit::Number => self.num(v, if v.abs() < 10.0 { 2 } else { 1 }),
            Unit::Money => self.num(v, 2),
        }
    }

    fn signed(&self, v: f64, decimals: usize) -> String {
        let s = self.num(v, decimals);
        if v > 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
            format!("+{s}")
        } else {
            s
        }
    }

    /// A change: points for rates and scores, relative for counts and durations.
    pub fn delta(&self, unit: Unit, d: &Delta) -> String {
        let Some(abs) = d.abs else { return "n/a".into() };
        let pts = if self.fr() { "pt" } else { "pts" };
        match unit {
            Unit::Percent | Unit::Score => format!("{} {pts}", self.signed(abs, 1)),
            Unit::Scale => format!("{} {pts}", self.signed(abs, 2)),
            Unit::Count | Unit::Seconds | Unit::Number | Unit::Money => match d.rel {
                Some(r) if self.fr() => format!("{}\u{202F}%", self.signed(r * 100.0, 1)),
                Some(r) => format!("{}%", self.signed(r * 100.0, 1)),
                None if unit == Unit::Count => self.signed(abs, 0),
                None => "n/a".into(),
            },
        }
    }

    pub fn date(&self, d: NaiveDate) -> String {
        let m = d.month0() as usize;
        if self.fr() {
            format!("{} {} {}", d.day(), MONTHS_FR[m], d.year())
        } else {
            format!("{} {} {}", d.day(), MONTHS_EN[m], d.year())
        }
    }

    pub fn range(&self, start: NaiveDate, last: NaiveDate) -> String {
        format!("{} – {}", self.date(start), self.date(last))
    }

    pub fn label(&self, id: &str) -> String {
        let def = catalog::get(id);
        if self.fr() { def.label_fr } else { def.label_en }.to_string()
    }

    pub fn word(&self, key: &str) -> &'static str {
        let (en, fr) = match key {
            "improved" => ("improved", "s'est amélioré"),
            "worsened" => ("worsened", "s'est dégradé"),
            "rose" => ("rose", "a augmenté"),
            "fell" => ("fell", "a baissé"),
            "no_significant_change" => (
                "No headline metric changed significantly and materially against the previous period.",
                "Aucun indicateur principal n'a changé de façon significative et notable par rapport à la période précédente.",
            ),
            "back_to_previous" => ("back to", "revenir à"),
            "no_previous_data" => (
                "The previous period has no data to compare with.",
                "La période précédente n'a pas de données à comparer.",
            ),
            _ => ("?", "?"),
        };
        if self.fr() {
            fr
        } else {
            en
        }
    }

    /// "X worsened from A to B (change)", and ", missing its target of T" when it does.
    pub fn sentence_change(
        &self,
        label: &str,
        verb: &str,
        prev: &str,
        cur: &str,
        change: &str,
        missed: Option<&str>,
    ) -> String {
        match (self.fr(), missed) {
            (true, None) => format!("{label} {verb} : de {prev} à {cur} ({change})."),
            (true, Some(t)) => format!("{label} {verb} : de {prev} à {cur} ({change}), objectif {t} non atteint."),
            (false, None) => format!("{label} {verb} from {prev} to {cur} ({change})."),
            (false, Some(t)) => format!("{label} {verb} from {prev} to {cur} ({change}), missing its target of {t}."),
        }
    }

    pub fn sentence_target(&self, label: &str, cur: &str, target: &str) -> String {
        if self.fr() {
            format!("{label} est à {cur}, objectif {target} non atteint.")
        } else {
            format!("{label} is {cur}, missing its target of {target}.")
        }
    }

    pub fn sentence_driver(&self, name: &str, count: u64, share: f64) -> String {
        if self.fr() {
            format!(
                "Premier motif de contact : « {name} », {} contacts ({} du total).",
                self.num(count as f64, 0),
                self.percent(share)
            )
        } else {
            format!(
                "The main request driver was “{name}”: {} contacts ({} of all).",
                self.num(count as f64, 0),
                self.percent(share)
            )
        }
    }

    pub fn sentence_volume(&self, total: u64, prev: u64) -> String {
        let (t, p) = (self.num(total as f64, 0), self.num(prev as f64, 0));
        match (self.fr(), prev) {
            (true, 0) => format!("{t} contacts cette période."),
            (true, _) => format!("{t} contacts cette période, contre {p} la précédente."),
            (false, 0) => format!("{t} contacts this period."),
            (false, _) => format!("{t} contacts this period, against {p} in the previous one."),
        }
    }

    pub fn sentence_emerging(&self, name: &str, prev: u64, cur: u64) -> String {
        if self.fr() {
            format!(
                "« {name} » a le plus progressé : de {} à {} contacts.",
                self.num(prev as f64, 0),
                self.num(cur as f64, 0)
            )
        } else {
            format!(
                "“{name}” grew the most: from {} to {} contacts.",
                self.num(prev as f64, 0),
                self.num(cur as f64, 0)
            )
        }
    }

    pub fn action_text(&self, id: &str) -> Option<&'static str> {
        let (en, fr) = match id {
            "service_level" | "asa" => (
                "Re-plan staffing of the busiest hours against the hourly call pattern.",
                "Replanifier les effectifs des heures les plus chargées selon le profil horaire des appels.",
            ),
            "abandonment_rate" => (
                "Shorten queue waits at peak hours: offer call-backs and staff the peaks.",
                "Réduire l'attente aux heures de pointe : proposer le rappel et renforcer les pics.",
            ),
            "first_response_time" | "no_response_yet" => (
                "Review triage and routing of new tickets and rebalance queues between agents.",
                "Revoir le tri et l'affectation des nouveaux tickets et rééquilibrer les files entre agents.",
            ),
            "resolution_time" => (
                "Review the oldest open tickets with team leads and remove what blocks them.",
                "Revoir avec les responsables d'équipe les tickets ouverts les plus anciens et lever les blocages.",
            ),
            "backlog_end" | "backlog_change" => (
                "Plan a backlog clean-up: give every ticket open for more than 7 days an owner.",
                "Planifier la résorption du stock : un responsable pour chaque ticket ouvert depuis plus de 7 jours.",
            ),
            "csat" => (
                "Review a sample of dissatisfied responses with team leads and coach on the recurring causes.",
                "Analyser un échantillon de réponses insatisfaites avec les responsables et former sur les causes récurrentes.",
            ),
            "nps" => (
                "Share detractors' feedback with product owners and follow up with detractors.",
                "Partager les retours des détracteurs avec les responsables produit et les recontacter.",
            ),
            "aht" => (
                "Review long calls for knowledge gaps and update the knowledge base.",
                "Analyser les appels longs pour combler les lacunes de la base de connaissances.",
            ),
            _ => return None,
        };
        Some(if self.fr() { fr } else { en })
    }

    pub fn why_target(&self, label: &str, cur: &str, target: &str) -> String {
        if self.fr() {
            format!("{label} : {cur} pour un objectif de {target}.")
        } else {
            format!("{label} was {cur} against a target of {target}.")
        }
    }

    pub fn why_change(&self, label: &str, prev: &str, cur: &str) -> String {
        if self.fr() {
            format!("{label} est passé de {prev} à {cur} (changement significatif).")
        } else {
            format!("{label} went from {prev} to {cur} (a significant change).")
        }
    }

    pub fn why_bound(&self, label: &str, cur: &str, level: crate::compare::Level, bound: &str) -> String {
        let alert = level == crate::compare::Level::Alert;
        match (self.fr(), alert) {
            (true, true) => format!("{label} : {cur}, au-delà du seuil d'alerte ({bound})."),
            (true, false) => format!("{label} : {cur}, au-delà du seuil de vigilance ({bound})."),
            (false, true) => format!("{label} was {cur}, past its alert bound of {bound}."),
            (false, false) => format!("{label} was {cur}, past its warning bound of {bound}."),
        }
    }

    pub fn why_rule(&self, label: &str, cur: &str, op: &str, value: &str) -> String {
        if self.fr() {
            format!("{label} : {cur} (règle : {op} {value}).")
        } else {
            format!("{label} was {cur} (rule: {op} {value}).")
        }
    }

    /// One line of the Erlang C staffing estimate.
    #[allow(clippy::too_many_arguments)]
    pub fn staffing_line(
        &self,
        weekday: usize,
        hour: usize,
        calls_per_hour: f64,
        aht: &str,
        agents: u32,
        scheduled: u32,
        shrinkage: f64,
        target: f64,
        t: f64,
    ) -> String {
        const EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        const FR: [&str; 7] = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."];
        let (rate, sh, tg) = (self.num(calls_per_hour, 1), self.percent(shrinkage * 100.0), self.percent(target));
        if self.fr() {
            format!(
                "{} {hour:02}h–{:02}h : {rate} appels/h, DMT {aht} → {agents} agents au téléphone pour {tg} en {t} s (Erlang C), {scheduled} planifiés avec {sh} d'indisponibilité.",
                FR[weekday],
                hour + 1
            )
        } else {
            format!(
                "{} {hour:02}:00–{:02}:00: {rate} calls/h, AHT {aht} → {agents} agents on the phones for {tg} within {t} s (Erlang C), {scheduled} scheduled with {sh} shrinkage.",
                EN[weekday],
                hour + 1
            )
        }
    }

    pub fn action_driver(&self, name: &str) -> String {
        if self.fr() {
            format!("Identifier et supprimer la cause des contacts « {name} ».")
        } else {
            format!("Find and remove the root cause of “{name}” contacts.")
        }
    }

    pub fn why_driver(&self, prev: u64, cur: u64, pts: f64) -> String {
        let (p, c, s) = (self.num(prev as f64, 0), self.num(cur as f64, 0), self.signed(pts, 1));
        if self.fr() {
            format!("{p} → {c} contacts ({s} pt de part, significatif).")
        } else {
            format!("{p} → {c} contacts ({s} share points, significant).")
        }
    }

    pub fn driver_kpi(&self, name: &str) -> String {
        if self.fr() {
            format!("Part des contacts « {name} »")
        } else {
            format!("Share of “{name}” contacts")
        }
    }

    pub fn share_target(&self, prev_share: f64) -> String {
        format!("≤ {}", self.percent(prev_share))
    }
}

fn s_nonzero(int: &str, frac: &Option<String>) -> bool {
    int.chars().chain(frac.iter().flat_map(|f| f.chars())).any(|c| c.is_ascii_digit() && c != '0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_per_language() {
        let en = Fmt::new(Lang::En);
        let fr = Fmt::new(Lang::Fr);
        assert_eq!(en.num(1234567.891, 1), "1,234,567.9");
        assert_eq!(fr.num(1234567.891, 1), "1\u{202F}234\u{202F}567,9");
        assert_eq!(en.num(-0.04, 1), "0.0");
        assert_eq!(en.num(-12.5, 1), "−12.5");
        assert_eq!(en.percent(78.44), "78.4%");
        assert_eq!(fr.percent(78.44), "78,4\u{202F}%");
    }

    #[test]
    fn durations_pick_a_readable_unit() {
        let en = Fmt::new(Lang::En);
        assert_eq!(en.duration(45.0), "45 s");
        assert_eq!(en.duration(600.0), "10.0 min");
        assert_eq!(en.duration(5.5 * 3600.0), "5.5 h");
        assert_eq!(en.duration(3.0 * 86400.0), "3.0 d");
    }
}
