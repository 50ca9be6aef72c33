import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';
import { Logo } from './contract';

/** The reference logo library the logo detector matches against. */
@Injectable({ providedIn: 'root' })
export class LogosApi {
  private readonly http = inject(HttpClient);

  list(): Observable<Logo[]> {
    return this.http.get<Logo[]>('/api/logos');
  }

  upload(brand: string, image: File): Observable<Logo> {
    const form = new FormData();
    form.append('brand', brand);
    form.append('image', image, image.name);
    return this.http.post<Logo>('/api/logos', form);
  }

  remove(id: string): Observable<void> {
    return this.http.delete<void>(`/api/logos/${encodeURIComponent(id)}`);
  }

  /** The image as a Blob: an <img src> cannot send the bearer token, so thumbnails go through HttpClient. */
  image(id: string): Observable<Blob> {
    return this.http.get(`/api/logos/${encodeURIComponent(id)}/image`, { responseType: 'blob' });
  }
}
