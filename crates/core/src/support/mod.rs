//! Small, self-contained helpers the layers share: text and number reading, URLs and IP
//! addresses, base64, sorting, randomness, and the golden corpus' recorder.
pub mod base64;
pub mod entropy;
pub mod golden;
pub mod ip;
pub mod number;
pub mod psl;
pub mod sort;
pub mod url;
