public import AbacusExposition

/// Metrics computed when they are scraped rather than updated as events happen: read from the
/// operating system, another library or a data structure the program already keeps.
///
/// Register one with ``Registry/register(_:)``; ``collect()`` is called once then (to learn and
/// check the family names) and on every scrape after that, outside the registry's lock. Return
/// the same family names every time: a family whose name is already exposed by something else
/// is left out of that scrape.
public protocol MetricCollector: Sendable {
    /// The families, as of now.
    func collect() -> [MetricFamily]
}

extension ProcessMetrics: MetricCollector {}
