// Renders the OpenAPI document as a readable list of operations.
const target = document.getElementById('operations');

function element(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

function schemaName(schema) {
  if (!schema) return '';
  if (schema.$ref) return schema.$ref.split('/').pop();
  if (schema.type === 'array') return `${schemaName(schema.items)}[]`;
  return Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type ?? 'object';
}

function describeSchema(doc, ref) {
  const schema = ref?.$ref ? doc.components?.schemas?.[ref.$ref.split('/').pop()] : ref;
  if (!schema?.properties) return null;
  const rows = Object.entries(schema.properties).map(([name, property]) =>
    element('tr', {}, element('td', {}, element('code', { textContent: name })), element('td', { textContent: schemaName(property) })));
  return element('table', {}, ...rows);
}

function renderOperation(doc, path, method, operation) {
  const section = element('section', { id: operation.operationId ?? `${method}-${path}` },
    element('h2', {}, element('span', { className: `method ${method.toUpperCase()}`, textContent: method.toUpperCase() }), element('code', { textContent: path })),
    operation.summary ? element('p', { textContent: operation.summary }) : null,
    operation.description ? element('p', { textContent: operation.description }) : null);
  if (operation.parameters?.length) {
    section.append(element('h3', { textContent: 'Parameters' }), element('table', {}, ...operation.parameters.map((p) =>
      element('tr', {}, element('td', {}, element('code', { textContent: p.name })), element('td', { textContent: `${p.in}, ${schemaName(p.schema)}` }), element('td', { textContent: p.description ?? '' })))));
  }
  const body = operation.requestBody?.content?.['application/json']?.schema;
  if (body) {
    section.append(element('h3', { textContent: `Body: ${schemaName(body)}` }), describeSchema(doc, body));
  }
  const responses = Object.entries(operation.responses ?? {}).map(([status, response]) => {
    const content = response.content ?? {};
    const [type] = Object.keys(content);
    return element('tr', {}, element('td', { textContent: status }), element('td', { textContent: type ? `${type} ${schemaName(content[type].schema)}` : '' }));
  });
  section.append(element('h3', { textContent: 'Responses' }), element('table', {}, ...responses));
  return section;
}

async function main() {
  try {
    const response = await fetch('/openapi/v1.json');
    if (!response.ok) throw new Error(`GET /openapi/v1.json answered ${response.status}`);
    const doc = await response.json();
    const sections = [];
    for (const [path, operations] of Object.entries(doc.paths ?? {})) {
      for (const [method, operation] of Object.entries(operations)) {
        if (['get', 'post', 'put', 'patch', 'delete'].includes(method)) sections.push(renderOperation(doc, path, method, operation));
      }
    }
    target.replaceChildren(...sections);
  } catch (error) {
    target.textContent = `Could not load the API description: ${error.message}`;
  }
}

main();
