import { exposureCsv } from './exposure-csv';

describe('exposureCsv', () => {
  it('writes totals then windows, quoting brands that need it', () => {
    const csv = exposureCsv('s1', {
      stream_id: 's1',
      run: 'live',
      start: 0,
      end: 20,
      window: 10,
      totals: [
        {
          brand: 'Acme, Inc',
          screen_time: 12.5,
          share_of_voice: 0.75,
          prominence: 0.1,
          frames: 25,
        },
      ],
      windows: [
        {
          start: 0,
          end: 10,
          brands: [
            { brand: 'Acme, Inc', screen_time: 6, share_of_voice: 1, prominence: 0.12, frames: 12 },
          ],
        },
      ],
    });
    expect(csv.split('\r\n')).toEqual([
      'stream_id,scope,window_start_s,window_end_s,brand,screen_time_s,share_of_voice,prominence',
      's1,total,0,20,"Acme, Inc",12.5,0.75,0.1',
      's1,window,0,10,"Acme, Inc",6,1,0.12',
      '',
    ]);
  });
});
