import { inject } from '@angular/core';
import { Router, Routes } from '@angular/router';
import { SettingsStore } from './core/settings';

/** Screens that need the API send the operator to Settings until a token is saved. */
const needsToken = () =>
  inject(SettingsStore).hasToken() || inject(Router).parseUrl('/settings?first=1');

export const routes: Routes = [
  { path: '', pathMatch: 'full', redirectTo: 'streams' },
  {
    path: 'streams',
    title: 'Streams · Sightline',
    canActivate: [needsToken],
    loadComponent: () => import('./features/streams/streams-page').then((m) => m.StreamsPage),
  },
  {
    path: 'streams/:id',
    title: 'Stream · Sightline',
    canActivate: [needsToken],
    loadComponent: () =>
      import('./features/stream-view/stream-view-page').then((m) => m.StreamViewPage),
  },
  {
    path: 'exposure',
    title: 'Brand exposure · Sightline',
    canActivate: [needsToken],
    loadComponent: () => import('./features/exposure/exposure-page').then((m) => m.ExposurePage),
  },
  {
    path: 'report',
    title: 'Sponsor report · Sightline',
    canActivate: [needsToken],
    loadComponent: () => import('./features/report/report-page').then((m) => m.ReportPage),
  },
  {
    path: 'logos',
    title: 'Logo library · Sightline',
    canActivate: [needsToken],
    loadComponent: () => import('./features/logos/logos-page').then((m) => m.LogosPage),
  },
  {
    path: 'reanalysis',
    title: 'Reanalysis · Sightline',
    canActivate: [needsToken],
    loadComponent: () =>
      import('./features/reanalysis/reanalysis-page').then((m) => m.ReanalysisPage),
  },
  {
    path: 'storage',
    title: 'Storage · Sightline',
    canActivate: [needsToken],
    loadComponent: () => import('./features/storage/storage-page').then((m) => m.StoragePage),
  },
  {
    path: 'alerts',
    title: 'Alerts · Sightline',
    canActivate: [needsToken],
    loadComponent: () => import('./features/alerts/alerts-page').then((m) => m.AlertsPage),
  },
  {
    path: 'settings',
    title: 'Settings · Sightline',
    loadComponent: () => import('./features/settings/settings-page').then((m) => m.SettingsPage),
  },
  { path: '**', redirectTo: 'streams' },
];
