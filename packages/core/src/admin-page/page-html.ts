/**
 * The token page's markup. Static: every dynamic part is filled in by the page script, which
 * finds the API next to its own URL, so the page works wherever the router is mounted.
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>API tokens</title>
<link rel="stylesheet" href="ui/app.css">
<script src="ui/app.js" defer></script>
</head>
<body>
<a class="skip" href="#tokens-heading">Skip to your tokens</a>
<header class="top">
  <h1>API tokens</h1>
  <p id="who" class="who" aria-live="polite"></p>
</header>
<main>
  <div id="status" class="status" role="status" aria-live="polite"></div>
  <div id="alert" class="alert" role="alert" hidden></div>

  <section id="signed-out" class="panel notice" hidden aria-labelledby="signed-out-heading">
    <h2 id="signed-out-heading" tabindex="-1">You are not signed in</h2>
    <p id="signed-out-text"></p>
    <p><button type="button" id="retry">Try again</button></p>
  </section>

  <section id="reveal" class="panel reveal" hidden aria-labelledby="reveal-heading">
    <h2 id="reveal-heading" tabindex="-1">Your new token</h2>
    <p id="reveal-intro">Copy it now and keep it somewhere safe. <strong>It will not be shown again</strong>:
      only a fingerprint of it is stored, so nobody can look it up later, not even an administrator.</p>
    <p id="reveal-rotated" hidden>The old token <span id="reveal-grace"></span></p>
    <div class="token-line">
      <label for="reveal-token">Token</label>
      <input id="reveal-token" type="text" readonly spellcheck="false" autocomplete="off">
      <button type="button" id="copy">Copy</button>
    </div>
    <p id="copy-status" class="hint" aria-live="polite"></p>
    <p class="hint">Send it as <code>Authorization: Bearer &lt;token&gt;</code>.</p>
    <p><button type="button" id="stored" class="primary">I have stored it</button></p>
  </section>

  <section id="create" class="panel" hidden aria-labelledby="create-heading">
    <h2 id="create-heading">Create a token</h2>
    <form id="create-form" novalidate>
      <div class="field">
        <label for="token-name">Name</label>
        <input id="token-name" name="tokenName" type="text" required minlength="3" maxlength="100"
          autocomplete="off" aria-describedby="token-name-hint token-name-error">
        <p id="token-name-hint" class="hint">What the token is for, e.g. "CI deploys". 3 to 100 characters.</p>
        <p id="token-name-error" class="field-error" hidden></p>
      </div>
      <fieldset class="field" id="owner-field">
        <legend>Who owns it</legend>
        <p class="hint" id="owner-hint">A personal token acts as you. A team token acts as you inside the team, and the team's admins can see and revoke it.</p>
        <div class="choice"><input type="radio" id="owner-personal" name="owner" value="personal" checked><label for="owner-personal">Personal</label></div>
        <div class="choice" id="owner-team-choice"><input type="radio" id="owner-team" name="owner" value="team"><label for="owner-team">Team</label></div>
        <div class="sub" id="team-select-row" hidden>
          <label for="team-select">Which team</label>
          <select id="team-select" aria-describedby="team-error"></select>
        </div>
        <div class="sub" id="team-id-row" hidden>
          <label for="team-id">Team id</label>
          <input id="team-id" type="text" inputmode="numeric" pattern="[0-9]*" autocomplete="off" aria-describedby="team-id-hint team-error">
          <p id="team-id-hint" class="hint">The number of the team, as your application shows it.</p>
        </div>
        <p id="team-error" class="field-error" hidden></p>
      </fieldset>
      <div class="field">
        <label for="expiry">Expires</label>
        <select id="expiry" aria-describedby="expiry-error">
          <option value="30d">In 30 days</option>
          <option value="90d" selected>In 90 days</option>
          <option value="180d">In 180 days</option>
          <option value="365d">In 365 days</option>
          <option value="never">Never</option>
          <option value="custom">On a date I choose…</option>
        </select>
        <div class="sub" id="expiry-date-row" hidden>
          <label for="expiry-date">Expiry date</label>
          <input id="expiry-date" type="date" aria-describedby="expiry-date-hint expiry-error">
          <p id="expiry-date-hint" class="hint">The token stops working at the end of that day, your time.</p>
        </div>
        <p id="expiry-error" class="field-error" hidden></p>
      </div>
      <div class="field">
        <label for="scopes">Scopes <span class="optional">(optional)</span></label>
        <input id="scopes" type="text" autocomplete="off" spellcheck="false" aria-describedby="scopes-hint scopes-error">
        <p id="scopes-hint" class="hint">Limit what the token may do, e.g. <code>documents:read</code>. Separate several with spaces. Leave empty for no limits.</p>
        <p id="scopes-error" class="field-error" hidden></p>
      </div>
      <p id="form-error" class="field-error" hidden></p>
      <p><button type="submit" id="create-submit" class="primary">Create token</button></p>
    </form>
  </section>

  <section id="list" class="panel" hidden aria-labelledby="tokens-heading">
    <h2 id="tokens-heading" tabindex="-1">Your tokens</h2>
    <div id="team-lookup" class="team-lookup" hidden>
      <label for="team-lookup-id">Also show the tokens of team id</label>
      <input id="team-lookup-id" type="text" inputmode="numeric" autocomplete="off">
      <button type="button" id="team-lookup-go">Show</button>
    </div>
    <p id="list-loading" class="loading" hidden>Loading tokens…</p>
    <p id="list-empty" class="empty" hidden>You have no API tokens yet. Create one above: it is shown to you once, then only its name and dates are kept here.</p>
    <div class="table-wrap">
    <table id="tokens" hidden>
      <caption class="visually-hidden">Your API tokens, newest first</caption>
      <thead><tr>
        <th scope="col">Name</th><th scope="col">Owner</th><th scope="col">Created</th>
        <th scope="col">Expires</th><th scope="col">Status</th><th scope="col">Last used</th>
        <th scope="col"><span class="visually-hidden">Actions</span></th>
      </tr></thead>
      <tbody id="tokens-body"></tbody>
    </table>
    </div>
  </section>
</main>

<dialog id="rotate-dialog" aria-labelledby="rotate-heading">
  <form id="rotate-form" method="dialog" novalidate>
    <h2 id="rotate-heading">Rotate “<span id="rotate-name"></span>”</h2>
    <p>Rotating issues a new token with the same name, owner and scopes. Switch your systems to the new token; the old one stops working when the grace period ends.</p>
    <div class="field">
      <label for="grace">Keep the old token working for</label>
      <select id="grace" aria-describedby="grace-error">
        <option value="0">No time: stop it now</option>
        <option value="3600">1 hour</option>
        <option value="86400" selected>1 day</option>
        <option value="604800">7 days</option>
        <option value="2592000">30 days</option>
      </select>
      <p class="hint">Never longer than the old token's own expiry.</p>
      <p id="grace-error" class="field-error" hidden></p>
    </div>
    <p id="rotate-error" class="field-error" hidden></p>
    <div class="actions">
      <button type="button" id="rotate-cancel">Cancel</button>
      <button type="submit" id="rotate-confirm" class="primary">Rotate</button>
    </div>
  </form>
</dialog>

<dialog id="delete-dialog" aria-labelledby="delete-heading">
  <form id="delete-form" method="dialog" novalidate>
    <h2 id="delete-heading">Delete “<span id="delete-name"></span>”</h2>
    <p>Anything still using this token will be refused at once. This cannot be undone.</p>
    <div class="field">
      <label for="delete-confirm-name">Type the token's name to confirm</label>
      <input id="delete-confirm-name" type="text" autocomplete="off" spellcheck="false" aria-describedby="delete-error">
    </div>
    <p id="delete-error" class="field-error" hidden></p>
    <div class="actions">
      <button type="button" id="delete-cancel">Cancel</button>
      <button type="submit" id="delete-confirm" class="danger" disabled>Delete token</button>
    </div>
  </form>
</dialog>
<noscript><p class="panel">This page needs JavaScript to manage your tokens.</p></noscript>
</body>
</html>
`;
