import { counterValue, histogramOf, histQuantile, parseMetrics, sampleValue, sumOf } from './index';

const TEXT = `# HELP dropgate_intake_requests_total Requests
# TYPE dropgate_intake_requests_total counter
dropgate_intake_requests_total{route="/v1/claims",status="202",app="intake"} 7
dropgate_intake_requests_total{route="/v1/claims",status="429",app="intake"} 2
dropgate_queue_waiting_jobs{app="intake"} 3
lat_bucket{le="0.1"} 4
lat_bucket{le="1"} 8
lat_bucket{le="+Inf"} 8
lat_sum 3.2
lat_count 8
odd{path="a\\"b"} 1
`;

describe('Prometheus text', () => {
  it('reads samples with their labels', () => {
    const samples = parseMetrics(TEXT);
    expect(samples).toHaveLength(9);
    expect(samples.at(-1)).toEqual({ name: 'odd', labels: { path: 'a"b' }, value: 1 });
  });

  it('finds one sample by labels, a missing counter as 0, and sums', () => {
    expect(sampleValue(TEXT, 'dropgate_intake_requests_total', { status: '429' })).toBe(2);
    expect(sampleValue(TEXT, 'dropgate_queue_waiting_jobs')).toBe(3);
    expect(sampleValue(TEXT, 'dropgate_intake_requests_total', { status: '500' })).toBeUndefined();
    expect(counterValue(TEXT, 'dropgate_intake_requests_total', { status: '500' })).toBe(0);
    expect(sumOf(parseMetrics(TEXT), 'dropgate_intake_requests_total', { route: '/v1/claims' })).toBe(9);
  });

  it('reads a histogram and interpolates a quantile inside its bucket', () => {
    const h = histogramOf(parseMetrics(TEXT), 'lat');
    expect(h).toEqual({ buckets: [{ le: 0.1, count: 4 }, { le: 1, count: 8 }, { le: Infinity, count: 8 }], sum: 3.2, count: 8 });
    expect(histQuantile(h, 0.5)).toBeCloseTo(0.1);
    expect(histQuantile(h, 0.75)).toBeCloseTo(0.55);
  });
});
