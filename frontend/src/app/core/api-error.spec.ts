import { HttpErrorResponse } from '@angular/common/http';
import { describeApiError } from './api-error';

describe('describeApiError', () => {
  it('explains an unreachable API', () => {
    expect(describeApiError(new HttpErrorResponse({ status: 0 }))).toContain(
      'Cannot reach results-api',
    );
  });

  it('points at Settings when the token is refused', () => {
    expect(describeApiError(new HttpErrorResponse({ status: 401 }))).toContain('Settings');
  });

  it("shows FastAPI's detail string", () => {
    const error = new HttpErrorResponse({ status: 404, error: { detail: 'stream not found' } });
    expect(describeApiError(error)).toBe('stream not found (HTTP 404)');
  });

  it('joins validation errors with their field paths', () => {
    const error = new HttpErrorResponse({
      status: 422,
      error: {
        detail: [
          { loc: ['body', 'name'], msg: 'Field required' },
          { loc: ['body', 'source', 'kind'], msg: 'bad kind' },
        ],
      },
    });
    expect(describeApiError(error)).toBe('name: Field required; source.kind: bad kind (HTTP 422)');
  });

  it('falls back to the status text', () => {
    expect(
      describeApiError(new HttpErrorResponse({ status: 500, statusText: 'Internal Server Error' })),
    ).toBe('Internal Server Error (HTTP 500)');
  });
});
