/**
 * Every HumanEval-X Rust program starts with `use rand::Rng; use regex::Regex; use md5;` (the reference
 * builds them in a Cargo project with those three crates). Samples have no crate registry, so the rust
 * runner links these stand-ins, written for the sandbox and built once into the warm cache: the part of
 * rand's 0.7 API the tests call, MD5 as RFC 1321 defines it, and a `regex` whose `Regex::new` always
 * fails (there is no engine; Rust/91 is the one task that needs it). Programs that only import them, all
 * but six, are unaffected.
 */

/** Crate name to its one source file. */
export const RUST_CRATES: Readonly<Record<string, string>> = Object.freeze({
  rand: `//! Stand-in for the part of the \`rand\` crate (0.7 API) that HumanEval-X's Rust tests use: \`thread_rng()\`,
//! \`Rng::gen()\`, \`Rng::gen_range(low, high)\` and \`random()\` (fsllm-native sandbox). A xorshift64* generator
//! seeded from the clock: random enough for tests that draw inputs, not for anything else.
use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

thread_local! {
    static STATE: Cell<u64> = Cell::new(seed());
}

fn seed() -> u64 {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
    (nanos ^ 0x9E37_79B9_7F4A_7C15) | 1
}

fn next_bits() -> u64 {
    STATE.with(|state| {
        let mut x = state.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    })
}

/// Types \`gen()\` and \`random()\` can make.
pub trait Standard: Sized {
    fn from_bits(bits: u64) -> Self;
}

/// Types \`gen_range(low, high)\` can draw from \`[low, high)\`.
pub trait SampleUniform: Sized {
    fn sample(low: Self, high: Self, bits: u64) -> Self;
}

macro_rules! integers {
    ($($t:ty),*) => {$(
        impl Standard for $t {
            fn from_bits(bits: u64) -> Self {
                bits as $t
            }
        }
        impl SampleUniform for $t {
            fn sample(low: Self, high: Self, bits: u64) -> Self {
                assert!(low < high, "gen_range called with low >= high");
                let span = (high as i128 - low as i128) as u128;
                (low as i128 + (bits as u128 % span) as i128) as $t
            }
        }
    )*};
}
integers!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

macro_rules! floats {
    ($($t:ty),*) => {$(
        impl Standard for $t {
            fn from_bits(bits: u64) -> Self {
                ((bits >> 11) as f64 / (1u64 << 53) as f64) as $t
            }
        }
        impl SampleUniform for $t {
            fn sample(low: Self, high: Self, bits: u64) -> Self {
                assert!(low < high, "gen_range called with low >= high");
                low + (high - low) * <$t as Standard>::from_bits(bits)
            }
        }
    )*};
}
floats!(f32, f64);

impl Standard for bool {
    fn from_bits(bits: u64) -> Self {
        bits >> 63 == 1
    }
}

impl Standard for char {
    fn from_bits(bits: u64) -> Self {
        std::char::from_u32((bits % 0x11_0000) as u32).unwrap_or('\\u{FFFD}')
    }
}

/// A random-number generator.
pub trait RngCore {
    fn next_u64(&mut self) -> u64;
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
}

/// The methods tests call, for every generator.
pub trait Rng: RngCore {
    fn gen<T: Standard>(&mut self) -> T {
        T::from_bits(self.next_u64())
    }
    fn gen_range<T: SampleUniform>(&mut self, low: T, high: T) -> T {
        T::sample(low, high, self.next_u64())
    }
    fn gen_bool(&mut self, p: f64) -> bool {
        <f64 as Standard>::from_bits(self.next_u64()) < p
    }
}

impl<R: RngCore + ?Sized> Rng for R {}

/// The thread's generator.
#[derive(Clone, Copy, Debug, Default)]
pub struct ThreadRng;

impl RngCore for ThreadRng {
    fn next_u64(&mut self) -> u64 {
        next_bits()
    }
}

pub fn thread_rng() -> ThreadRng {
    ThreadRng
}

pub fn random<T: Standard>() -> T {
    T::from_bits(next_bits())
}
`,
  regex: `//! Stand-in for the \`regex\` crate (fsllm-native sandbox): there is no regular-expression engine here, so
//! \`Regex::new\` always returns an error. Programs that use \`regex\` compile, and fail when they run
//! (HumanEval-X: Rust/91 only).
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::error::Error for Error {}

/// Never made: \`new\` always fails.
#[derive(Clone, Debug)]
pub struct Regex {
    never: std::convert::Infallible,
}

impl Regex {
    pub fn new(pattern: &str) -> Result<Regex, Error> {
        Err(Error(format!("the fsllm sandbox has no regex engine (pattern {:?})", pattern)))
    }
    pub fn as_str(&self) -> &str {
        match self.never {}
    }
    pub fn is_match(&self, _text: &str) -> bool {
        match self.never {}
    }
    pub fn split<'t>(&self, _text: &'t str) -> std::vec::IntoIter<&'t str> {
        match self.never {}
    }
    pub fn find_iter<'t>(&self, _text: &'t str) -> std::vec::IntoIter<Match<'t>> {
        match self.never {}
    }
    pub fn replace_all<'t>(&self, _text: &'t str, _rep: &str) -> std::borrow::Cow<'t, str> {
        match self.never {}
    }
}

/// A match (never made).
#[derive(Clone, Copy, Debug)]
pub struct Match<'t> {
    text: &'t str,
}

impl<'t> Match<'t> {
    pub fn as_str(&self) -> &'t str {
        self.text
    }
}
`,
  md5: `//! Stand-in for the \`md5\` crate: \`compute\` and its \`Digest\` (fsllm-native sandbox). MD5 as RFC 1321 defines it.
use std::fmt;

/// The 16-byte digest; \`{:x}\` prints it as 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digest(pub [u8; 16]);

impl std::ops::Deref for Digest {
    type Target = [u8; 16];
    fn deref(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::LowerHex for Digest {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        for byte in self.0.iter() {
            write!(f, "{:02x}", byte)?;
        }
        Ok(())
    }
}

impl fmt::UpperHex for Digest {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        for byte in self.0.iter() {
            write!(f, "{:02X}", byte)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        fmt::LowerHex::fmt(self, f)
    }
}

impl From<Digest> for [u8; 16] {
    fn from(digest: Digest) -> [u8; 16] {
        digest.0
    }
}

// Per-round left-rotation amounts (RFC 1321, section 3.4).
const SHIFTS: [u32; 16] = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];

/// The MD5 digest of \`data\`.
pub fn compute<T: AsRef<[u8]>>(data: T) -> Digest {
    let data = data.as_ref();
    // T[i] = floor(2^32 * |sin(i + 1)|), as the RFC defines the table.
    let mut table = [0u32; 64];
    for (i, t) in table.iter_mut().enumerate() {
        *t = ((i as f64 + 1.0).sin().abs() * 4294967296.0) as u32;
    }
    let mut message = data.to_vec();
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&((data.len() as u64).wrapping_mul(8)).to_le_bytes());
    let mut state: [u32; 4] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
    for block in message.chunks(64) {
        let mut x = [0u32; 16];
        for (i, word) in x.iter_mut().enumerate() {
            *word = u32::from_le_bytes([block[4 * i], block[4 * i + 1], block[4 * i + 2], block[4 * i + 3]]);
        }
        let [mut a, mut b, mut c, mut d] = state;
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let rotated = a.wrapping_add(f).wrapping_add(table[i]).wrapping_add(x[g]).rotate_left(SHIFTS[(i / 16) * 4 + i % 4]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(rotated);
        }
        state[0] = state[0].wrapping_add(a);
        state[1] = state[1].wrapping_add(b);
        state[2] = state[2].wrapping_add(c);
        state[3] = state[3].wrapping_add(d);
    }
    let mut out = [0u8; 16];
    for (i, word) in state.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&word.to_le_bytes());
    }
    Digest(out)
}
`,
});
