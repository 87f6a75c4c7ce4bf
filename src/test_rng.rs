//! A small deterministic generator for the tests' random cases (xorshift), so that a
//! failure can be replayed from its seed. (The sample data has its own, stable across
//! crate versions: `generate::rng`.)

pub(crate) struct Rng(pub u64);

impl Rng {
    /// Uniform-ish in [0, n).
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}
