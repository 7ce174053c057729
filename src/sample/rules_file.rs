//! The Prometheus rule file of the sample company, as its teams wrote it:
//! a good symptom-based rule beside the usual mistakes (paging on CPU, no
//! `for:`, a missing runbook), so the advisor has something to say.

/// The rule file's text.
pub const RULES_YAML: &str = r#"# Acme Shop alerting rules (sample data made by `alertnoise sample`).
groups:
  - name: checkout
    rules:
      # Symptom-based: users see failed checkouts.
      - alert: CheckoutHighErrorRate
        expr: sum(rate(http_requests_total{service="checkout-api",code=~"5.."}[5m])) / sum(rate(http_requests_total{service="checkout-api"}[5m])) > 0.01
        for: 5m
        labels:
          severity: critical
          team: checkout
          service: checkout-api
        annotations:
          summary: More than 1% of checkout requests fail
          runbook_url: https://runbooks.acme-shop.example/CheckoutHighErrorRate
      # Fast burn of the 99.9% SLO's error budget (14.4x).
      - alert: CheckoutSLOBudgetFastBurn
        expr: (sum(rate(http_requests_total{service="checkout-api",code=~"5.."}[5m])) / sum(rate(http_requests_total{service="checkout-api"}[5m]))) > (14.4 * 0.001)
        for: 2m
        labels:
          severity: critical
          team: checkout
          service: checkout-api
        annotations:
          summary: Checkout is burning its error budget 14x too fast
          runbook_url: https://runbooks.acme-shop.example/CheckoutSLOBudgetFastBurn
      - alert: CheckoutLatencyHigh
        expr: histogram_quantile(0.99, sum by (le, instance) (rate(http_request_duration_seconds_bucket{service="checkout-api"}[5m]))) > 1
        for: 2m
        labels:
          severity: critical
          team: checkout
          service: checkout-api
        annotations:
          summary: p99 latency of checkout on this instance above 1s
          runbook_url: https://runbooks.acme-shop.example/CheckoutLatencyHigh
  - name: payments
    rules:
      - alert: PaymentsLatencyHigh
        expr: histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="payments-api"}[5m]))) > 0.5
        for: 2m
        labels:
          severity: warning
          team: payments
          service: payments-api
        annotations:
          summary: p95 latency of payments above 500ms
          runbook_url: https://runbooks.acme-shop.example/PaymentsLatencyHigh
  - name: platform
    rules:
      - record: instance:node_cpu_utilisation:rate2m
        expr: 100 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[2m])) * 100
      # Pages on a cause, and without `for:`.
      - alert: HostHighCpu
        expr: instance:node_cpu_utilisation:rate2m > 80
        labels:
          severity: critical
          team: platform
          service: hosts
        annotations:
          summary: CPU usage above 80%
      - alert: DiskSpaceLow
        expr: (node_filesystem_avail_bytes{mountpoint="/"} / node_filesystem_size_bytes{mountpoint="/"}) * 100 < 10
        for: 15m
        labels:
          severity: warning
          team: platform
          service: hosts
        annotations:
          summary: Less than 10% disk space left on /
      # A host outage, and what it takes down with it (alertmanager.yml has no
      # inhibit_rules yet: one outage pages three times).
      - alert: HostDown
        expr: up{job="node"} == 0 and on (instance) probe_success{job="icmp"} == 0
        for: 1m
        labels:
          severity: critical
          team: platform
          service: hosts
        annotations:
          summary: The host does not answer pings and its exporter is down
          runbook_url: https://runbooks.acme-shop.example/HostDown
      - alert: TargetDown
        expr: up{job="node"} == 0
        labels:
          severity: critical
          team: platform
          service: hosts
        annotations:
          summary: Prometheus cannot scrape the target
          runbook_url: https://runbooks.acme-shop.example/TargetDown
  - name: orders
    rules:
      # More than 50 messages waiting is a reason to pay attention.
      - alert: RabbitmqQueueDepth
        expr: rabbitmq_queue_messages{queue="orders"} > 50
        for: 1m
        labels:
          severity: warning
          team: orders
          service: order-worker
        annotations:
          summary: More than 50 messages waiting in the orders queue
          runbook_url: https://runbooks.acme-shop.example/RabbitmqQueueDepth
  - name: trading
    rules:
      - alert: TradingBotErrorState
        expr: trading_bot_error_state == 1
        for: 1m
        labels:
          severity: critical
          team: trading
          service: trading-bot
        annotations:
          summary: The trading bot is in its error state (API failure or crash)
          runbook_url: https://runbooks.acme-shop.example/TradingBotErrorState
      - alert: TradingBotStopLossTriggered
        expr: increase(trading_bot_stop_loss_triggered_total[5m]) > 0
        labels:
          severity: warning
          team: trading
          service: trading-bot
        annotations:
          summary: A stop-loss closed a position
  - name: data
    rules:
      - alert: ReportExportLate
        expr: time() - report_export_last_success_timestamp_seconds > 3600
        for: 10m
        labels:
          severity: critical
          team: data
          service: report-exporter
        annotations:
          summary: The nightly report export has not succeeded for over an hour
          runbook_url: https://runbooks.acme-shop.example/ReportExportLate
"#;
