import { escapeHtml, PageTemplate } from './web-assets';

describe('page template', () => {
  it('fills every {{code}} place, escaped, and tags the result with an ETag', () => {
    const page = new PageTemplate('<h1>{{code}}</h1><form action="/api/coupons/{{code}}/issue">');
    const a = page.render('A0001');
    expect(a.body.toString()).toBe('<h1>A0001</h1><form action="/api/coupons/A0001/issue">');
    expect(a.type).toMatch(/^text\/html/);
    expect(page.render('<x>"').body.toString()).toContain('&lt;x&gt;&quot;');
    expect(page.render('B0001').etag).not.toBe(a.etag);
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });
});
