//! The sample company's Alertmanager configuration, as its teams wrote it:
//! critical alerts page the on-call engineer through PagerDuty, payments
//! has its own pager, warnings go to the teams' Slack channels, every
//! notification is archived for the weekly review (`alertnoise collect`),
//! and the usual mistakes are in it for the report to find: a warning
//! that pages (payments pages for everything), a team the critical route
//! forgot (data's nightly export reaches only the email fallback, and
//! pages no one), a warning route the orders team never got, a rule routed
//! to a receiver that sends nowhere, and a route for a service that was
//! switched off long ago.

/// The file's text (`sample-data/alertmanager.yml`).
pub const ALERTMANAGER_YAML: &str = r#"# Acme Shop's Alertmanager configuration (sample data made by `alertnoise sample`).
global:
  resolve_timeout: 5m
  smtp_smarthost: mail.acme-shop.example:587
  smtp_from: alertmanager@acme-shop.example
route:
  receiver: ops-email
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  routes:
    # Every notification is archived for the weekly alert review.
    - receiver: archive
      matchers: ['alertname=~".+"']
      continue: true
    # Payments carries its own pager.
    - receiver: payments-pager
      matchers: [team="payments"]
    # Critical alerts page the on-call engineer.
    - receiver: pagerduty-oncall
      matchers: [severity="critical", 'team=~"checkout|platform|trading"']
      repeat_interval: 1h
    # Stop-losses are the trading bot working as designed: nobody needs them.
    - receiver: "null"
      matchers: [alertname="TradingBotStopLossTriggered"]
    # Warnings go to the team's channel.
    - receiver: slack-platform
      matchers: ['severity=~"warning|info"', team="platform"]
    - receiver: slack-trading
      matchers: ['severity=~"warning|info"', team="trading"]
    # The search cluster was switched off in the spring.
    - receiver: search-pager
      matchers: [service="search-api"]
    # Whatever no route took still reaches the ops mailbox (after the archive route,
    # the root's receiver alone would get nothing).
    - receiver: ops-email
receivers:
  - name: ops-email
    email_configs:
      - to: ops@acme-shop.example
  - name: archive
    webhook_configs:
      - url: http://alert-archive.acme-shop.example:9099/
        send_resolved: true
  - name: payments-pager
    pagerduty_configs:
      - routing_key_file: /etc/alertmanager/secrets/pagerduty-payments
  - name: pagerduty-oncall
    pagerduty_configs:
      - routing_key_file: /etc/alertmanager/secrets/pagerduty-oncall
  - name: "null"
  - name: slack-platform
    slack_configs:
      - api_url_file: /etc/alertmanager/secrets/slack-webhook
        channel: '#platform-alerts'
  - name: slack-trading
    slack_configs:
      - api_url_file: /etc/alertmanager/secrets/slack-webhook
        channel: '#trading-alerts'
  - name: search-pager
    pagerduty_configs:
      - routing_key_file: /etc/alertmanager/secrets/pagerduty-search
"#;

#[cfg(test)]
mod tests {
    use crate::routing::AlertmanagerConfig;

    #[test]
    fn the_sample_configuration_routes_each_rule_where_its_story_says() {
        let config =
            AlertmanagerConfig::parse("alertmanager.yml", super::ALERTMANAGER_YAML).unwrap();
        let rules = crate::sample::scenario::rules();
        let routed = |name: &str| {
            let rule = rules.iter().find(|r| r.name == name).unwrap();
            config
                .route
                .receivers(&crate::sample::scenario::labels(rule, 0))
                .join(",")
        };
        assert_eq!(routed("CheckoutHighErrorRate"), "archive,pagerduty-oncall");
        assert_eq!(routed("HostHighCpu"), "archive,pagerduty-oncall");
        assert_eq!(routed("PaymentsLatencyHigh"), "archive,payments-pager");
        assert_eq!(routed("TradingBotStopLossTriggered"), "archive,null");
        assert_eq!(routed("DiskSpaceLow"), "archive,slack-platform");
        assert_eq!(routed("RabbitmqQueueDepth"), "archive,ops-email");
        assert_eq!(routed("ReportExportLate"), "archive,ops-email");
    }
}
