import uPlot from 'uplot';

/**
 * Redemptions per minute while the page is open, from the campaign's redemption counter sampled at each refresh
 * (the rate between two samples, scaled to a minute). Keeps the last 30 minutes.
 */
export class RateChart {
  private readonly times: number[] = [];
  private readonly rates: number[] = [];
  private last: { t: number; count: number } | undefined;
  private readonly plot: uPlot;

  constructor(container: HTMLElement) {
    this.plot = new uPlot(
      {
        width: Math.max(320, container.clientWidth || 640),
        height: 200,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(10, Math.ceil(max * 1.2))] } },
        axes: [{}, { label: 'per minute', size: 60 }],
        series: [{}, { label: 'redemptions / min', stroke: '#2458d6', width: 2, fill: 'rgba(36,88,214,0.12)' }],
        legend: { show: true },
      },
      [[], []],
      container,
    );
  }

  add(redemptions: number, at = Date.now()): number | undefined {
    const t = at / 1000;
    let rate: number | undefined;
    if (this.last && t > this.last.t) {
      rate = (Math.max(0, redemptions - this.last.count) / (t - this.last.t)) * 60;
      this.times.push(t);
      this.rates.push(Math.round(rate * 10) / 10);
      while (this.times.length > 0 && this.times[0]! < t - 1800) {
        this.times.shift();
        this.rates.shift();
      }
      this.plot.setData([this.times, this.rates]);
    }
    this.last = { t, count: redemptions };
    return rate;
  }

  destroy(): void {
    this.plot.destroy();
  }
}
