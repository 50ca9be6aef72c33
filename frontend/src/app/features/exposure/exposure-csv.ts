import type { ExposureReport } from '../../api/contract';

/** Quotes a CSV field when it needs it (RFC 4180). */
function field(value: string | number): string {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The report as one CSV table an analyst can open in a spreadsheet: a `total` row per brand over
 * the whole range, then one row per brand and time window. Ratios stay 0..1, times in seconds.
 */
export function exposureCsv(streamId: string, report: ExposureReport): string {
  const header = [
    'stream_id',
    'scope',
    'window_start_s',
    'window_end_s',
    'brand',
    'screen_time_s',
    'share_of_voice',
    'prominence',
  ];
  const rows: (string | number)[][] = [header];
  for (const b of report.totals) {
    rows.push([
      streamId,
      'total',
      report.start,
      report.end,
      b.brand,
      b.screen_time,
      b.share_of_voice,
      b.prominence,
    ]);
  }
  for (const w of report.windows) {
    for (const b of w.brands) {
      rows.push([
        streamId,
        'window',
        w.start,
        w.end,
        b.brand,
        b.screen_time,
        b.share_of_voice,
        b.prominence,
      ]);
    }
  }
  return rows.map((row) => row.map(field).join(',')).join('\r\n') + '\r\n';
}

/** Offers a text as a file download. */
export function downloadText(filename: string, text: string, type = 'text/csv'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
