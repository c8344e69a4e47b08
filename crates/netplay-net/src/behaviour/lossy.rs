//! The lossy-network switch — the lesson UDP teaches: drop, duplicate and
//! delay (so reorder) datagrams on receive, decided by a seeded generator
//! so the same seed gives the same fates and tests can count exactly.

use std::time::Duration;

/// How lossy the network pretends to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LossyConfig {
    /// Percent of datagrams dropped (0–100).
    pub drop_percent: u8,
    /// Percent of the kept datagrams delivered twice (0–100).
    pub duplicate_percent: u8,
    /// Each kept datagram is held back a random 0..=this long (reorders).
    pub max_delay: Duration,
    /// Seed of the generator.
    pub seed: u64,
}

impl LossyConfig {
    /// The profiles a UI cycles through, mild to harsh.
    pub fn profiles() -> [LossyConfig; 3] {
        [
            LossyConfig {
                drop_percent: 10,
                duplicate_percent: 0,
                max_delay: Duration::ZERO,
                seed: 42,
            },
            LossyConfig {
                drop_percent: 30,
                duplicate_percent: 5,
                max_delay: Duration::from_millis(100),
                seed: 42,
            },
            LossyConfig {
                drop_percent: 50,
                duplicate_percent: 10,
                max_delay: Duration::from_millis(500),
                seed: 42,
            },
        ]
    }

    /// `drop 30% · duplicate 5% · delay 0–100 ms · seed 42` (zero parts left out).
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("drop {}%", self.drop_percent)];
        if self.duplicate_percent > 0 {
            parts.push(format!("duplicate {}%", self.duplicate_percent));
        }
        if !self.max_delay.is_zero() {
            parts.push(format!("delay 0–{} ms", self.max_delay.as_millis()));
        }
        parts.push(format!("seed {}", self.seed));
        parts.join(" · ")
    }
}

/// What happens to one received datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fate {
    /// Dropped: never delivered.
    pub dropped: bool,
    /// Delivered twice.
    pub duplicated: bool,
    /// Held back this long before delivery.
    pub delay: Duration,
}

/// The seeded decision maker: three draws per datagram, always in the same
/// order (drop, duplicate, delay), so fates depend only on seed and count.
#[derive(Debug, Clone)]
pub struct Lossy {
    config: LossyConfig,
    state: u64,
}

impl Lossy {
    /// A generator for `config`, starting from its seed.
    pub fn new(config: LossyConfig) -> Self {
        Self {
            config,
            state: config.seed,
        }
    }

    /// SplitMix64: small, fast, and good enough to pretend a network is bad.
    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn percent(&mut self, percent: u8) -> bool {
        self.next() % 100 < u64::from(percent.min(100))
    }

    /// Decides the next datagram's fate.
    pub fn decide(&mut self) -> Fate {
        let dropped = self.percent(self.config.drop_percent);
        let duplicated = self.percent(self.config.duplicate_percent);
        let max = self.config.max_delay.as_millis() as u64;
        let draw = self.next();
        let delay = if max == 0 {
            Duration::ZERO
        } else {
            Duration::from_millis(draw % (max + 1))
        };
        Fate {
            dropped,
            duplicated: duplicated && !dropped,
            delay: if dropped { Duration::ZERO } else { delay },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_fates_and_rates_are_close() {
        let config = LossyConfig {
            drop_percent: 30,
            duplicate_percent: 10,
            max_delay: Duration::from_millis(50),
            seed: 7,
        };
        let a: Vec<Fate> = {
            let mut l = Lossy::new(config);
            (0..10_000).map(|_| l.decide()).collect()
        };
        let b: Vec<Fate> = {
            let mut l = Lossy::new(config);
            (0..10_000).map(|_| l.decide()).collect()
        };
        assert_eq!(a, b);
        let dropped = a.iter().filter(|f| f.dropped).count();
        assert!((2700..3300).contains(&dropped), "{dropped}");
        assert!(a.iter().all(|f| f.delay <= Duration::from_millis(50)));
        assert!(a.iter().all(|f| !(f.dropped && f.duplicated)));
    }
}
