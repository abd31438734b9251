/**
 * Progress API (local profile): history, best scores, CKA-domain averages
 * and what to practise next.
 *
 *   GET /api/progress                 everything the progress page shows
 *   GET /api/progress/attempts/:id    the per-check results of an attempt's last grade
 */
import express from 'express';
import type { AppExtension } from './app.js';
import { HttpError } from './errors.js';
import type { CatalogEntry, ProgressStore } from '../progress/store.js';

export function progressExtension(store: ProgressStore, catalog: () => CatalogEntry[]): AppExtension {
  return {
    router() {
      const r = express.Router();
      r.get('/progress', (req, res) => {
        const limit = req.query.limit === undefined ? 50 : Number(req.query.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new HttpError(400, 'bad_request', 'limit must be an integer 1..500', 'limit');
        const titles = new Map(catalog().map((c) => [c.id, c.title]));
        res.json({
          history: store.history({ limit }).map((a) => ({ ...a, title: titles.get(a.scenarioId) ?? a.scenarioId })),
          best: store.bestScores().map((b) => ({ ...b, title: titles.get(b.scenarioId) ?? b.scenarioId })),
          domains: store.weakestDomains(),
          suggestions: store.suggestions(catalog(), 3),
          exams: store.examRuns({ limit: 20 }).map((e) => ({ id: e.id, examId: e.examId, title: e.title, state: e.state, createdAt: e.createdAt, totalPercent: e.totalPercent, passed: e.passed, passPercent: e.passPercent })),
        });
      });
      r.get('/progress/attempts/:id', (req, res) => {
        if (!/^\d{1,12}$/.test(String(req.params.id))) throw new HttpError(400, 'bad_request', 'attempt id must be a positive integer', 'id');
        res.json({ checks: store.lastChecks(Number(req.params.id)) });
      });
      return r;
    },
  };
}
