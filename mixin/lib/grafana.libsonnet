// Plain-jsonnet building blocks for Grafana dashboard JSON (schemaVersion 39); grafonnet is
// not packaged in Debian. Panels are placed left to right on the 24-column grid by layout().
local datasource = { type: 'prometheus', uid: '${datasource}' };

{
  datasource:: datasource,

  target(expr, legend='', ref='A', instant=false, format=null):: {
    datasource: datasource,
    refId: ref,
    expr: expr,
    legendFormat: if legend == '' then '__auto' else legend,
    range: !instant,
    instant: instant,
    editorMode: 'code',
  } + (if format != null then { format: format } else {}),

  // specs: [[expr, legend], ...] with refIds A, B, C...
  targets(specs):: [
    $.target(specs[i][0], specs[i][1], ref=std.char(std.codepoint('A') + i))
    for i in std.range(0, std.length(specs) - 1)
  ],

  panel(kind, title, description, unit, targets, noValue=null, options={}, custom=null,
        thresholds=null, overrides=[], transformations=null, mappings=null):: {
    type: kind,
    title: title,
    description: description,
    datasource: datasource,
    targets: targets,
    fieldConfig: {
      defaults: {
        unit: unit,
        color: { mode: if kind == 'stat' || kind == 'table' then 'thresholds' else 'palette-classic' },
        thresholds: {
          mode: 'absolute',
          steps: if thresholds == null then [{ color: 'green', value: null }] else thresholds,
        },
      } + (if noValue != null then { noValue: noValue } else {})
        + (if custom != null then { custom: custom } else {})
        + (if mappings != null then { mappings: mappings } else {}),
      overrides: overrides,
    },
    options: options,
  } + (if transformations != null then { transformations: transformations } else {}),

  stat(title, description, unit, expr, noValue=null, thresholds=null, decimals=null, targets=null)::
    $.panel('stat', title, description, unit,
            if targets == null then [$.target(expr, instant=true)] else targets,
            noValue=noValue, thresholds=thresholds,
            options={
              reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
              colorMode: 'value',
              graphMode: 'none',
              textMode: 'auto',
              justifyMode: 'auto',
              orientation: 'auto',
            })
    + (if decimals != null then { fieldConfig+: { defaults+: { decimals: decimals } } } else {}),

  timeseries(title, description, unit, targets, noValue=null, bars=false, stack=false, min=null, max=null)::
    $.panel('timeseries', title, description, unit, targets, noValue=noValue,
            custom={
              drawStyle: if bars then 'bars' else 'line',
              lineWidth: 1,
              fillOpacity: if bars then 80 else 10,
              showPoints: 'never',
              spanNulls: false,
              stacking: { mode: if stack then 'normal' else 'none', group: 'A' },
            },
            options={
              legend: { displayMode: 'table', placement: 'right', calcs: ['lastNotNull', 'max'], showLegend: true },
              tooltip: { mode: 'multi', sort: 'desc' },
            })
    + (if min != null then { fieldConfig+: { defaults+: { min: min } } } else {})
    + (if max != null then { fieldConfig+: { defaults+: { max: max } } } else {}),

  table(title, description, unit, targets, noValue, overrides, rename, exclude, order={})::
    $.panel('table', title, description, unit,
            [t { format: 'table', instant: true, range: false } for t in targets],
            noValue=noValue, overrides=overrides,
            transformations=[
              { id: 'merge', options: {} },
              { id: 'organize', options: {
                excludeByName: { [n]: true for n in exclude },
                renameByName: rename,
                indexByName: order,
              } },
            ],
            options={ showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } }),

  unitOverride(column, unit):: {
    matcher: { id: 'byName', options: column },
    properties: [{ id: 'unit', value: unit }],
  },

  datasourceVariable():: {
    name: 'datasource',
    label: 'Data source',
    type: 'datasource',
    query: 'prometheus',
    current: {},
    hide: 0,
    refresh: 1,
    regex: '',
    options: [],
    includeAll: false,
    multi: false,
  },

  queryVariable(name, label, query, multi, hide=0):: {
    name: name,
    label: label,
    type: 'query',
    datasource: datasource,
    definition: query,
    query: { query: query, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    refresh: 2,
    regex: '',
    sort: 1,
    hide: hide,
    current: {},
    options: [],
    includeAll: multi,
    multi: multi,
  } + (if multi then { allValue: '.*' } else {}),

  customVariable(name, label, values, default):: {
    name: name,
    label: label,
    type: 'custom',
    query: std.join(',', values),
    current: { selected: true, text: default, value: default },
    options: [{ selected: v == default, text: v, value: v } for v in values],
    hide: 0,
    includeAll: false,
    multi: false,
  },

  // items: panels carrying w and h, or $.row(title). Returns the panels with ids and gridPos.
  row(title):: { type: 'row', title: title, collapsed: false, panels: [], w:: 24, h:: 1, isRow:: true },
  sized(panel, w, h):: panel { w:: w, h:: h },

  layout(items)::
    local step(state, item) =
      local wrap = item.isRow || state.x + item.w > 24;
      local y = if wrap && state.x > 0 then state.y + state.rowH else state.y;
      local x = if wrap then 0 else state.x;
      local rowH = if wrap then 0 else state.rowH;
      local placed = item { id: state.id, gridPos: { h: item.h, w: item.w, x: x, y: y } };
      if item.isRow then
        { x: 0, y: y + 1, rowH: 0, id: state.id + 1, panels: state.panels + [placed] }
      else
        { x: x + item.w, y: y, rowH: std.max(rowH, item.h), id: state.id + 1, panels: state.panels + [placed] };
    std.foldl(step, [{ isRow:: false } + i for i in items], { x: 0, y: 0, rowH: 0, id: 1, panels: [] }).panels,

  dashboard(c, uid, title, description, variables, panels, links):: {
    uid: uid,
    title: title,
    description: description,
    tags: c.dashboardTags,
    schemaVersion: 39,
    version: 1,
    editable: true,
    graphTooltip: 1,
    timezone: c.dashboardTimezone,
    refresh: c.dashboardRefresh,
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    fiscalYearStartMonth: 0,
    liveNow: false,
    weekStart: '',
    id: null,
    annotations: { list: [{
      builtIn: 1,
      datasource: { type: 'grafana', uid: '-- Grafana --' },
      enable: true,
      hide: true,
      iconColor: 'rgba(0, 211, 255, 1)',
      name: 'Annotations & Alerts',
      type: 'dashboard',
    }] },
    links: links,
    templating: { list: variables },
    panels: panels,
  },
}
