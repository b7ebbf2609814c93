//! ISO 4217 active currency codes (2025 list), packed as one string of 3-letter codes.
const CODES: &str = "AEDAFNALLAMDANGAOAARSAUDAWGAZNBAMBBDBDTBGNBHDBIFBMDBNDBOBBOVBRLBSDBTNBWPBYNBZDCADCDFCHECHFCHWCLFCLPCNYCOPCOUCRCCUCCUPCVECZKDJFDKKDOPDZDEGPERNETBEURFJDFKPGBPGELGHSGIPGMDGNFGTQGYDHKDHNLHTGHUFIDRILSINRIQDIRRISKJMDJODJPYKESKGSKHRKMFKPWKRWKWDKYDKZTLAKLBPLKRLRDLSLLYDMADMDLMGAMKDMMKMNTMOPMRUMURMVRMWKMXNMXVMYRMZNNADNGNNIONOKNPRNZDOMRPABPENPGKPHPPKRPLNPYGQARRONRSDRUBRWFSARSBDSCRSDGSEKSGDSHPSLESOSSRDSSPSTNSVCSYPSZLTHBTJSTMTTNDTOPTRYTTDTWDTZSUAHUGXUSDUSNUYIUYUUYWUZSVEDVESVNDVUVWSTXAFXAGXAUXBAXBBXBCXBDXCDXCGXDRXOFXPDXPFXPTXSUXUAYERZARZMWZWGZWL";

/// True for an active ISO 4217 code (uppercase).
pub fn is_iso4217(code: &str) -> bool {
    code.len() == 3
        && CODES
            .as_bytes()
            .chunks_exact(3)
            .any(|c| c == code.as_bytes())
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_and_unknown_codes() {
        assert_eq!(super::CODES.len() % 3, 0);
        for c in ["USD", "EUR", "PLN", "JPY", "GBP", "CHF", "BRL", "ZWG"] {
            assert!(super::is_iso4217(c), "{c}");
        }
        for c in ["usd", "XYZ", "US", "EURO", ""] {
            assert!(!super::is_iso4217(c), "{c}");
        }
    }
}
