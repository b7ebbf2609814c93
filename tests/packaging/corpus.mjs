// A seeded, reproducible corpus of messy PII values for the 11 hashed fields: realistic values
// bent by case, whitespace of every kind, punctuation, accents, other scripts, emoji, digests.

/** mulberry32: small, fast, deterministic. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WHITESPACE = [" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u1680", "\u2003", "\u2009", "\u200a",
  "\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\ufeff", "\u000b", "\u000c", "\u0085", "\u180e", "\u200b"];
const PUNCT = [".", "-", "'", "(", ")", "+", ",", "/", ":", "_", "@", "#", "!", "?", "\"", "&", "*", "~", "·", "–", "’", "«", "»", "¿"];
const HEX = "0123456789abcdefABCDEF";

const POOLS = {
  em: ["john@example.com", "John_Smith@Gmail.com", "a.b-c+tag@sub.example.co.uk", "user@localhost",
    "x@y", "bad@@example.com", "ALICE@EXAMPLE.ORG", "bob.@example.com", ".bob@example.com", "a..b@example.com",
    "jos\u00e9@example.com", "a:.b@x.io", "a:b@x.io", "name@exa_mple.com", "name@-example.com", "n@e.c",
    "1234567890@numbers.net", "mail@\u212aelvin.com", "user@example..com", "user@[127.0.0.1]", "\u00fcser@m\u00fcnchen.de"],
  ph: ["+1 (650) 555-1212", "(650)555-1212", "0044 844 412 4653", "123", "+33 6 12 34 56 78", "000",
    "ext. 42", "+49-30-123456", "1-800-FLOWERS", "\u0661\u0662\u0663\u0664\u0665\u0666\u0667", "06 12 34 56 78",
    "+86 138 0013 8000", "tel: 555.1212", "(0)20 7946 0958", "٠٥٥٥١٢٣٤٥٦٧", "00000000000"],
  fn: ["Mary", "Mary-Ann", "Valéry", "정", "José", "ZOË", "O'Brien", "Jean-Luc", "Ægir", "Σωκράτης",
    "ΟΔΥΣΣΕΑΣ", "Пётр", "Владимир", "山田", "太郎", "François", "İbrahim", "Łukasz", "ß", "Øyvind",
    "Nguyễn", "محمد", "Dr. Strange", "🙂Smile", "ǅemal", "ΣΑΣ"],
  ln: ["Smith", "O'Brien Jr.", "García-Márquez", "Müller", "van der Berg", "Ἀθηνᾶ", "Иванов", "김",
    "Smith-Jones", "MacDonald", "D'Artagnan", "Ñúñez", "Ødegård", "STRAßE", "Κώστας", "St. John"],
  ge: ["f", "m", "Female", "MALE", "woman", "man", "Ma'am", "mr", "Mrs", "x", "other", "non-binary",
    "F.", "boy", "girl", "He", "hers", "Ｍ", "queen", "dude", "", "GENTLEMAN"],
  db: ["2/16/1997", "1997-02-16", "16.02.1997", "19970216", "1997/13/40", "02/30/2000", "31-12-1999",
    "12/31/1999", "1990", "1/1/1800", "1/1/1799", "12 3 2027", "12 3 2028", "19901399", "Feb 16 1997",
    "16 1997 02", "99999999999999999999/1/1", "0/0/0", "2000-1-1", "٢٠٠٠-٠١-٠١", "1997 02 16 10:30"],
  ct: ["New York", "São Paulo", "Zürich", "123 Main", "Paris", "LONDON", "St. Louis", "Saint-Étienne",
    "東京", "Москва", "New York 10", "Kraków", "Reykjavík", "L'Aquila", "Winston-Salem", "4th Street"],
  st: ["California", "CA", "N.Y.", "Ontario", "New York State", "Bavaria", "West Virginia", "Virginia",
    "Kansas", "Arkansas", "tx", "Québec", "Constructor", "x", "東京都", "Île-de-France", "Nova Scotia",
    "Washington D.C.", "British Columbia", "Northwest Territories", "Prince Edward Island"],
  zp: ["94025-1234", "94035", "M1 1AE", "SW1A 1AA", "75018", "1", "00-950", "940251234", "1987",
    "EC1A-1BB", "-12", "😀", "a", " 10115 ", "H0H 0H0", "k1a0b1"],
  country: ["United States", "US", "U.S.A.", "Germany", "Deutschland", "United Kingdom", "UK", "xx",
    "India", "Indiana", "France", "Côte d'Ivoire", "Cote d'Ivoire", "Korea, Republic of", "Brasil",
    "Constructor", "日本", "Türkiye", "usa", "The Netherlands", "Virgin Islands, U.S."],
  external_id: [" User-42 ABC ", "12345", "abc-DEF_ghi", "user@example.com", "UUID 2bdb5eba-a84e-473b-9f83-e7cb0d4236af",
    "Ünïcödé ID", "ID\u3000WITH\u00a0SPACES", "ΣΑΣ", "\ufeff", "007"],
};

export const FIELDS = Object.keys(POOLS);

function pick(r, list) {
  return list[Math.floor(r() * list.length)];
}

function hexString(r, n) {
  let s = "";
  for (let i = 0; i < n; i++) s += HEX[Math.floor(r() * HEX.length)];
  return s;
}

function randomChar(r) {
  const ranges = [[0x20, 0x7e], [0xa0, 0x24f], [0x370, 0x3ff], [0x400, 0x4ff], [0x3040, 0x30ff],
    [0x4e00, 0x4fff], [0xac00, 0xacff], [0x1f600, 0x1f64f], [0x2000, 0x206f]];
  const [lo, hi] = pick(r, ranges);
  return String.fromCodePoint(lo + Math.floor(r() * (hi - lo + 1)));
}

/** One messy value for `field`. */
export function messyValue(r, field) {
  const roll = r();
  if (roll < 0.04) return hexString(r, pick(r, [64, 32, 63, 65]));
  if (roll < 0.06) return `${hexString(r, 64)}.${pick(r, ["AQQCAQIB", "BA", "Bg", "zz", "ABCDEFG", "ABCDEFGHI"])}`;
  if (roll < 0.08) return pick(r, WHITESPACE) + hexString(r, 64) + pick(r, WHITESPACE);
  if (roll < 0.12) return Array.from({ length: 1 + Math.floor(r() * 12) }, () => randomChar(r)).join("");
  let v = pick(r, POOLS[field]);
  const edits = Math.floor(r() * 4);
  for (let i = 0; i < edits; i++) {
    const e = r();
    if (e < 0.25) v = r() < 0.5 ? v.toUpperCase() : v.toLowerCase();
    else if (e < 0.5) v = pick(r, WHITESPACE) + v + pick(r, WHITESPACE);
    else if (e < 0.7) {
      const at = Math.floor(r() * (v.length + 1));
      v = v.slice(0, at) + pick(r, PUNCT) + v.slice(at);
    } else if (e < 0.85) {
      const at = Math.floor(r() * (v.length + 1));
      v = v.slice(0, at) + randomChar(r) + v.slice(at);
    } else v = v + pick(r, WHITESPACE) + pick(r, POOLS[field]);
  }
  // No lone surrogates: they cannot cross into wasm as UTF-8 and never reach a real request.
  return v.toWellFormed ? v.toWellFormed() : v;
}

/** `count` (field, value) pairs, cycling through all fields. */
export function corpus(seed, count) {
  const r = rng(seed);
  return Array.from({ length: count }, (_, i) => {
    const field = FIELDS[i % FIELDS.length];
    return { field, value: messyValue(r, field) };
  });
}

/** A full user_data record: one messy value for each of the 11 fields. */
export function records(seed, count) {
  const r = rng(seed);
  return Array.from({ length: count }, () => Object.fromEntries(FIELDS.map((f) => [f, messyValue(r, f)])));
}
