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

    #[test]
    fn poisson_and_nps() {
        // 120 vs 100 in equal time: z = (120 - 110) / sqrt(220 * .25) = 1.3484, p = 0.1775.
        let p = poisson_p(120.0, 7.0, 100.0, 7.0).unwrap();
        assert!((p - 0.1775).abs() < 1e-3, "{p}");
        // 50 promoters, 20 detractors of 100: p=.5 d=.2, var = .7 - .09 = .61, se = 7.81 pts.
        assert!((nps_se(50.0, 20.0, 100.0).unwrap() - 7.8102).abs() < 1e-3);
    }
}
