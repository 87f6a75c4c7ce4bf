//! Significance tests used by the comparisons (see docs/metrics.md, "Significance").

/// Standard normal CDF (erf by Abramowitz & Stegun 7.1.26, |error| < 1.5e-7).
pub fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t + 0.254_829_592)
            * t
            * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + y)
    } else {
        0.5 * (1.0 - y)
    }
}

/// Two-sided p-value of a z statistic.
pub fn p_two_sided(z: f64) -> f64 {
    (2.0 * (1.0 - normal_cdf(z.abs()))).clamp(0.0, 1.0)
}

/// Two-proportion z-test (pooled); None when either sample is empty or the pooled
/// proportion is 0 or 1 (no variance).
pub fn two_proportion_p(x1: f64, n1: f64, x2: f64, n2: f64) -> Option<f64> {
    if n1 <= 0.0 || n2 <= 0.0 {
        return None;
    }
    let p = (x1 + x2) / (n1 + n2);
    let se = (p * (1.0 - p) * (1.0 / n1 + 1.0 / n2)).sqrt();
    if se == 0.0 {
        return None;
    }
    Some(p_two_sided((x1 / n1 - x2 / n2) / se))
}

/// Wilson score 95% interval of x successes in n, as proportions.
pub fn wilson95(x: f64, n: f64) -> Option<(f64, f64)> {
    if n <= 0.0 {
        return None;
    }
    let z = 1.959_964;
    let p = x / n;
    let d = 1.0 + z * z / n;
    let c = (p + z * z / (2.0 * n)) / d;
    let h = z * ((p * (1.0 - p) / n) + z * z / (4.0 * n * n)).sqrt() / d;
    Some(((c - h).max(0.0), (c + h).min(1.0)))
}

/// Two Poisson counts over exposures t1, t2 (e.g. days): conditional binomial test,
/// normal approximation. None when both counts are 0.
pub fn poisson_p(c1: f64, t1: f64, c2: f64, t2: f64) -> Option<f64> {
    let n = c1 + c2;
    if n <= 0.0 || t1 <= 0.0 || t2 <= 0.0 {
        return None;
    }
    let r = t1 / (t1 + t2);
    let se = (n * r * (1.0 - r)).sqrt();
    Some(p_two_sided((c1 - n * r) / se))
}

/// Standard error of an NPS (in points) from promoter and detractor counts out of n.
pub fn nps_se(promoters: f64, detractors: f64, n: f64) -> Option<f64> {
    if n <= 0.0 {
        return None;
    }
    let (p, d) = (promoters / n, detractors / n);
    Some(100.0 * ((p + d - (p - d).powi(2)) / n).sqrt())
}

/// Mann–Whitney U test, two-sided, normal approximation with the tie correction and a
/// continuity correction of 0.5. Deterministic (no resampling). None when a sample is
/// empty or every value is equal.
pub fn mann_whitney_p(a: &[f64], b: &[f64]) -> Option<f64> {
    mann_whitney_ranked(a, b)
}

/// A value of a sample the Mann–Whitney test ranks: ordered as `total_cmp` orders it,
/// tied by `==`. A 4-byte sample (durations in whole seconds: `metrics::Sample`) is
/// ranked as it is, not widened to 8 bytes first: its values order and tie as their
/// 8-byte images do.
pub trait Ranked: Copy + PartialEq {
    fn total(&self, other: &Self) -> std::cmp::Ordering;
}

impl Ranked for f64 {
    fn total(&self, other: &Self) -> std::cmp::Ordering {
        self.total_cmp(other)
    }
}

impl Ranked for f32 {
    fn total(&self, other: &Self) -> std::cmp::Ordering {
        self.total_cmp(other)
    }
}

/// `mann_whitney_p` of samples of any `Ranked` values.
pub fn mann_whitney_ranked<T: Ranked>(a: &[T], b: &[T]) -> Option<f64> {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    if a.is_empty() || b.is_empty() {
        return None;
    }
    // Each sample in ascending order (the metrics' samples come sorted: a sample is
    // compared twice, with the previous and the year-ago period), then both walked
    // together run by run of equal values, which share their average rank.
    fn ascending<T: Ranked>(x: &[T]) -> std::borrow::Cow<'_, [T]> {
        if x.is_sorted_by(|p, q| p.total(q).is_le()) {
            std::borrow::Cow::Borrowed(x)
        } else {
            let mut v = x.to_vec();
            v.sort_unstable_by(T::total);
            std::borrow::Cow::Owned(v)
        }
    }
    let (a, b) = (ascending(a), ascending(b));
    let (mut r1, mut ties) = (0.0, 0.0);
    let (mut i, mut j, mut before) = (0usize, 0usize, 0usize);
    while i < a.len() || j < b.len() {
        // The next value, and whether it is `a`'s.
        let (v, from_a) = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x.total(y).is_le() => (*x, true),
            (Some(x), None) => (*x, true),
            (_, Some(y)) => (*y, false),
            (None, None) => unreachable!("one sample has values left"),
        };
        // Its run in each sample (a value not equal to itself, NaN, is a run of one).
        let run = |x: &[T], from: usize| x[from..].iter().take_while(|w| **w == v).count();
        let (ca, cb) = if from_a { (run(&a, i).max(1), run(&b, j)) } else { (run(&a, i), run(&b, j).max(1)) };
        // Ranks before+1 ..= before+t share their average.
        let t = ca + cb;
        let rank = (2 * before + t - 1) as f64 / 2.0 + 1.0;
        let tf = t as f64;
        ties += tf * tf * tf - tf;
        r1 += rank * ca as f64;
        (i, j, before) = (i + ca, j + cb, before + t);
    }
    rank_sum_p(r1, ties, n1, n2)
}

/// The two-sided p-value of the Mann–Whitney test from the first sample's rank sum `r1`
/// and the ties' Σ(t³ − t).
fn rank_sum_p(r1: f64, ties: f64, n1: f64, n2: f64) -> Option<f64> {
    let u1 = r1 - n1 * (n1 + 1.0) / 2.0;
    let nn = n1 + n2;
    let var = n1 * n2 / 12.0 * ((nn + 1.0) - ties / (nn * (nn - 1.0)));
    if var <= 0.0 {
        return None;
    }
    let z = ((u1 - n1 * n2 / 2.0).abs() - 0.5).max(0.0) / var.sqrt();
    Some(p_two_sided(z))
}

/// Erlang C: the probability that a call waits, with `c` agents and `a` Erlangs of
/// traffic (1 when c ≤ a: the queue never empties).
pub fn erlang_c(c: u32, a: f64) -> f64 {
    if (c as f64) <= a {
        return 1.0;
    }
    // Erlang B by its stable recursion, then C from B.
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (k as f64 + a * b);
    }
    let c = c as f64;
    b / (1.0 - (a / c) * (1.0 - b))
}

/// Share of calls answered within `t` seconds with `c` agents, traffic `a` Erlangs and
/// average handle time `aht` seconds: 1 − P(wait) · e^(−(c − A) · t / AHT).
pub fn erlang_service_level(c: u32, a: f64, t: f64, aht: f64) -> f64 {
    if (c as f64) <= a {
        return 0.0;
    }
    1.0 - erlang_c(c, a) * (-(c as f64 - a) * t / aht).exp()
}

/// The smallest number of agents on the phones that reaches `target` (a share) within
/// `t` seconds, for `calls_per_hour` and `aht` seconds; None for no traffic.
pub fn agents_needed(calls_per_hour: f64, aht: f64, t: f64, target: f64) -> Option<u32> {
    if calls_per_hour <= 0.0 || aht <= 0.0 {
        return None;
    }
    let a = calls_per_hour * aht / 3600.0;
    (a.floor() as u32 + 1..=a.ceil() as u32 + 1000).find(|c| erlang_service_level(*c, a, t, aht) >= target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cdf_matches_tables() {
        assert!((normal_cdf(1.96) - 0.975_002).abs() < 1e-6);
        assert!((normal_cdf(-1.0) - 0.158_655).abs() < 1e-6);
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn two_proportion_textbook_example() {
        // 45/100 vs 30/100: pooled p = 0.375, se = sqrt(.375*.625*.02) = 0.068465,
        // z = 0.15 / 0.068465 = 2.1909, two-sided p = 0.02846.
        let p = two_proportion_p(45.0, 100.0, 30.0, 100.0).unwrap();
        assert!((p - 0.02846).abs() < 1e-4, "{p}");
        assert_eq!(two_proportion_p(1.0, 0.0, 1.0, 10.0), None);
    }

    #[test]
    fn wilson_interval_known_value() {
        // 8 of 10: Wilson 95% = (0.4902, 0.9433).
        let (lo, hi) = wilson95(8.0, 10.0).unwrap();
        assert!((lo - 0.4902).abs() < 1e-3 && (hi - 0.9433).abs() < 1e-3, "{lo} {hi}");
    }

    /// The ranks as first written: one sort of both samples together.
    fn mann_whitney_reference(a: &[f64], b: &[f64]) -> Option<f64> {
        let (n1, n2) = (a.len() as f64, b.len() as f64);
        if a.is_empty() || b.is_empty() {
            return None;
        }
        let mut all: Vec<(f64, bool)> = a.iter().map(|x| (*x, true)).chain(b.iter().map(|x| (*x, false))).collect();
        all.sort_unstable_by(|x, y| x.0.total_cmp(&y.0));
        let n = all.len();
        let (mut r1, mut ties, mut i) = (0.0, 0.0, 0);
        while i < n {
            let mut j = i;
            while j + 1 < n && all[j + 1].0 == all[i].0 {
                j += 1;
            }
            let rank = (i + j) as f64 / 2.0 + 1.0;
            let t = (j - i + 1) as f64;
            ties += t * t * t - t;
            r1 += rank * all[i..=j].iter().filter(|x| x.1).count() as f64;
            i = j + 1;
        }
        rank_sum_p(r1, ties, n1, n2)
    }

    #[test]
    fn mann_whitney_by_runs_is_the_one_sort_test_bit_for_bit() {
        // Pseudo-random durations with many ties (whole minutes), zeros of both signs,
        // sorted and unsorted inputs, samples of very different sizes.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        for (n1, n2, m) in [(1, 1, 3), (5, 3, 2), (200, 150, 30), (1000, 37, 500), (3, 2000, 7)] {
            let mut a: Vec<f64> = (0..n1).map(|_| next(m) as f64 * 60.0).collect();
            let mut b: Vec<f64> = (0..n2).map(|_| next(m) as f64 * 60.0).collect();
            a[0] = -0.0;
            if n2 > 1 {
                b[1] = 0.0;
            }
            let expected = mann_whitney_reference(&a, &b);
            assert_eq!(mann_whitney_p(&a, &b).map(f64::to_bits), expected.map(f64::to_bits), "{n1} {n2}");
            a.sort_unstable_by(f64::total_cmp);
            b.sort_unstable_by(f64::total_cmp);
            assert_eq!(mann_whitney_p(&a, &b).map(f64::to_bits), expected.map(f64::to_bits), "{n1} {n2} sorted");
            assert_eq!(mann_whitney_p(&b, &a).map(f64::to_bits), mann_whitney_reference(&b, &a).map(f64::to_bits));
            // The same values held in 4 bytes: the same p, bit for bit.
            let narrow = |x: &[f64]| x.iter().map(|v| *v as f32).collect::<Vec<f32>>();
            let (a4, b4) = (narrow(&a), narrow(&b));
            assert_eq!(mann_whitney_ranked(&a4, &b4).map(f64::to_bits), expected.map(f64::to_bits), "{n1} {n2} f32");
            let (mut a4, mut b4) = (a4, b4);
            a4.reverse();
            b4.reverse();
            assert_eq!(
                mann_whitney_ranked(&a4, &b4).map(f64::to_bits),
                expected.map(f64::to_bits),
                "{n1} {n2} f32 unsorted"
            );
        }
    }

    #[test]
    fn mann_whitney_textbook_values() {
        // Fully separated samples of 5: U = 0, σ² = 25·11/12, z = (12.5 − 0.5)/4.787 = 2.507,
        // p = 0.01219 (scipy.stats.mannwhitneyu, method="asymptotic").
        let p = mann_whitney_p(&[1.0, 2.0, 3.0, 4.0, 5.0], &[6.0, 7.0, 8.0, 9.0, 10.0]).unwrap();
        assert!((p - 0.01219).abs() < 1e-4, "{p}");
        // Same samples: no difference.
        let p = mann_whitney_p(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]).unwrap();
        assert!(p > 0.99, "{p}");
        // With ties: [1,2,2,3] vs [2,3,3,4]: ranks 1; 2,2,2 → 3; 3,3,3 → 6; 4 → 8.
        // R1 = 1 + 3 + 3 + 6 = 13, U1 = 13 − 10 = 3, mean 8, Σ(t³−t) = 24 + 24 = 48,
        // σ² = 16/12 · (9 − 48/56) = 10.857, z = (5 − 0.5)/3.295 = 1.3657, p = 0.1720.
        let p = mann_whitney_p(&[1.0, 2.0, 2.0, 3.0], &[2.0, 3.0, 3.0, 4.0]).unwrap();
        assert!((p - 0.1720).abs() < 1e-3, "{p}");
        assert_eq!(mann_whitney_p(&[], &[1.0]), None);
    }

    #[test]
    fn erlang_c_matches_published_tables() {
        // Erlang C tables, 10 Erlangs: P(wait) with 11, 12, 13, 14 agents.
        for (c, want) in [(11, 0.6821), (12, 0.4494), (13, 0.2853), (14, 0.1741)] {
            assert!((erlang_c(c, 10.0) - want).abs() < 5e-5, "c = {c}: {}", erlang_c(c, 10.0));
        }
        assert_eq!(erlang_c(10, 10.0), 1.0);
        // 200 calls an hour at 180 s = 10 Erlangs; 80% in 20 s: 13 agents give 79.6%,
        // 14 give 88.8% → 14.
        assert!((erlang_service_level(13, 10.0, 20.0, 180.0) - 0.7956).abs() < 1e-4);
        assert_eq!(agents_needed(200.0, 180.0, 20.0, 0.80), Some(14));
        // 360 calls an hour at 240 s = 24 Erlangs: 29 agents reach 84.0%.
        assert_eq!(agents_needed(360.0, 240.0, 20.0, 0.80), Some(29));
        assert_eq!(agents_needed(0.0, 240.0, 20.0, 0.80), None);
    }

    #[test]
    fn poisson_and_nps() {
        // 120 vs 100 in equal time: z = (120 - 110) / sqrt(220 * .25) = 1.3484, p = 0.1775.
        let p = poisson_p(120.0, 7.0, 100.0, 7.0).unwrap();
        assert!((p - 0.1775).abs() < 1e-3, "{p}");
        // 50 promoters, 20 detractors of 100: p=.5 d=.2, var = .7 - .09 = .61, se = 7.81 pts.
        assert!((nps_se(50.0, 20.0, 100.0).unwrap() - 7.8102).abs() < 1e-3);
    }
}
