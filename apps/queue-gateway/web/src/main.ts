// The waiting page's script: one small bundle (scripts/build-web.mjs) for both pages.
import { applyStatic } from './i18n';
import { linePage } from './line-page';
import { linesPage } from './lines-page';

applyStatic();
if (document.body.dataset.page === 'line') linePage();
else linesPage();
