//! Meta event names: GA4 names map to Meta's standard events; anything else goes as a custom
//! event, unchanged. The config can override (a custom name first, then a fixed name).
use crate::model::config::TagConfig;

/// GA4 (and common GTM) event names -> Meta standard events.
const GA4_TO_META: &[(&str, &str)] = &[
    ("page_view", "PageView"),
    ("gtm.dom", "PageView"),
    ("view_item", "ViewContent"),
    ("add_to_cart", "AddToCart"),
    ("add_to_wishlist", "AddToWishlist"),
    ("begin_checkout", "InitiateCheckout"),
    ("add_payment_info", "AddPaymentInfo"),
    ("purchase", "Purchase"),
    ("generate_lead", "Lead"),
    ("sign_up", "CompleteRegistration"),
    ("search", "Search"),
    ("view_search_results", "Search"),
    ("contact", "Contact"),
    ("customize_product", "CustomizeProduct"),
    ("donate", "Donate"),
    ("find_location", "FindLocation"),
    ("schedule", "Schedule"),
    ("start_trial", "StartTrial"),
    ("submit_application", "SubmitApplication"),
    ("subscribe", "Subscribe"),
    // WooCommerce's GTM4WP (Stape's mapping).
    ("gtm4wp.addProductToCartEEC", "AddToCart"),
    ("gtm4wp.productClickEEC", "ViewContent"),
    ("gtm4wp.checkoutOptionEEC", "InitiateCheckout"),
    ("gtm4wp.checkoutStepEEC", "AddPaymentInfo"),
    ("gtm4wp.orderCompletedEEC", "Purchase"),
];

/// Meta's standard events (the Pixel's 17, plus PageView, plus AppendValue: the value update
/// of an earlier event, standard for Meta and in Stape's standard list).
pub const STANDARD_EVENTS: &[&str] = &[
    "AddPaymentInfo",
    "AppendValue",
    "AddToCart",
    "AddToWishlist",
    "CompleteRegistration",
    "Contact",
    "CustomizeProduct",
    "Donate",
    "FindLocation",
    "InitiateCheckout",
    "Lead",
    "PageView",
    "Purchase",
    "Schedule",
    "Search",
    "StartTrial",
    "SubmitApplication",
    "Subscribe",
    "ViewContent",
];

/// True for Meta's standard event names (the rest are custom events).
pub fn is_standard(name: &str) -> bool {
    STANDARD_EVENTS.contains(&name)
}

/// The Meta event name for an incoming sGTM `event_name`.
pub fn meta_event_name<'a>(config: &'a TagConfig, incoming: Option<&'a str>) -> Option<&'a str> {
    if let Some(name) = config
        .custom_event_name
        .as_deref()
        .or(config.event_name.as_deref())
    {
        return Some(name);
    }
    let incoming = incoming?;
    let mapped = GA4_TO_META
        .iter()
        .find(|(ga4, _)| *ga4 == incoming)
        .map(|(_, meta)| *meta);
    Some(mapped.unwrap_or(incoming))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ga4_names_map_and_others_pass_through() {
        let c = TagConfig::default();
        for (ga4, meta) in GA4_TO_META {
            assert_eq!(meta_event_name(&c, Some(ga4)).as_deref(), Some(*meta));
            assert!(STANDARD_EVENTS.contains(meta));
        }
        assert_eq!(
            meta_event_name(&c, Some("refund")).as_deref(),
            Some("refund")
        );
        assert_eq!(meta_event_name(&c, None), None);
    }

    #[test]
    fn config_overrides_win() {
        let mut c = TagConfig {
            event_name: Some("Lead".into()),
            ..TagConfig::default()
        };
        assert_eq!(
            meta_event_name(&c, Some("purchase")).as_deref(),
            Some("Lead")
        );
        c.custom_event_name = Some("QuoteRequested".into());
        assert_eq!(meta_event_name(&c, None).as_deref(), Some("QuoteRequested"));
    }
}
