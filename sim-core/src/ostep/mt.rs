//! Python's `random` module as fork.py uses it: the Mersenne Twister
//! MT19937 (Matsumoto and Nishimura's reference code, which CPython's
//! Modules/_randommodule.c follows), seeded from an integer as
//! `random.seed(n)` seeds it, and `random.random()`'s 53-bit doubles.
//!
//! Nothing else of `random` is here: fork.py draws only `random()` (its
//! `randint` and `choice` are its own, on top of it). Entropy seeding (a
//! run without `-s`) is the caller's: sim-core uses no randomness.

/// The state size of MT19937, in 32-bit words.
const N: usize = 624;
/// The middle word of the recurrence.
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// A Mersenne Twister in the state `random.seed(n)` leaves it in.
#[derive(Clone)]
pub struct PyRandom {
    state: Box<[u32; N]>,
    index: usize,
}

impl PyRandom {
    /// `random.seed(n)` for an integer `n`, given as its sign and its
    /// magnitude in 32-bit words, least significant first: CPython seeds
    /// with `init_by_array` on the words of `abs(n)` (the sign is dropped,
    /// so `seed(-1)` is `seed(1)`), and `seed(0)` with the one word 0.
    pub fn seeded(magnitude: &[u32]) -> Self {
        let mut key: Vec<u32> = magnitude.to_vec();
        while key.len() > 1 && key.last() == Some(&0) {
            key.pop();
        }
        if key.is_empty() {
            key.push(0);
        }
        let mut rng = PyRandom {
            state: Box::new([0; N]),
            index: N,
        };
        rng.init_by_array(&key);
        rng
    }

    /// `random.seed(n)` for a small integer.
    pub fn from_u64(n: u64) -> Self {
        // Truncation is the split into 32-bit words.
        Self::seeded(&[n as u32, (n >> 32) as u32])
    }

    fn init_genrand(&mut self, s: u32) {
        self.state[0] = s;
        for i in 1..N {
            let prev = self.state[i - 1];
            self.state[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        self.index = N;
    }

    fn init_by_array(&mut self, key: &[u32]) {
        self.init_genrand(19_650_218);
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..N.max(key.len()) {
            let prev = self.state[i - 1];
            self.state[i] = (self.state[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                self.state[0] = self.state[N - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            let prev = self.state[i - 1];
            self.state[i] = (self.state[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_566_083_941))
                .wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                self.state[0] = self.state[N - 1];
                i = 1;
            }
        }
        // The most significant bit is 1, so the state is never all zero.
        self.state[0] = 0x8000_0000;
    }

    fn twist(&mut self) {
        let mag = |y: u32| if y & 1 == 0 { 0 } else { MATRIX_A };
        for k in 0..N {
            let y = (self.state[k] & UPPER_MASK) | (self.state[(k + 1) % N] & LOWER_MASK);
            self.state[k] = self.state[(k + M) % N] ^ (y >> 1) ^ mag(y);
        }
        self.index = 0;
    }

    /// The next 32-bit output (`genrand_uint32`).
    pub fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            self.twist();
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `random.random()`: two outputs make a double in [0, 1) with 53
    /// random bits, `(a >> 5) * 2^26 + (b >> 6)` over 2^53.
    pub fn random(&mut self) -> f64 {
        let a = f64::from(self.next_u32() >> 5);
        let b = f64::from(self.next_u32() >> 6);
        (a * 67_108_864.0 + b) * (1.0 / 9_007_199_254_740_992.0)
    }
}
