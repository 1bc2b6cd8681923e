import { describe, expect, it } from 'vitest';
import { parseTemplate } from './template.js';

const container = {
  Name: '/web',
  State: { Status: 'running', Running: true, ExitCode: 0 },
  Config: { Env: ['A=1', 'B=2'], Labels: {} },
  NetworkSettings: {
    IPAddress: '172.17.0.2',
    Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }], '443/tcp': null },
    Networks: { net1: { IPAddress: '10.0.0.2', Aliases: ['web', 'www'] }, bridge: { IPAddress: '172.17.0.2', Aliases: null } },
  },
  Mounts: [{ Type: 'volume', Name: 'v1', Destination: '/data' }],
};

describe('Go template subset', () => {
  it.each([
    ['{{.NetworkSettings.IPAddress}}', '172.17.0.2'],
    ['{{.State.Running}} {{.State.ExitCode}}', 'true 0'],
    ['{{json .Mounts}}', '[{"Type":"volume","Name":"v1","Destination":"/data"}]'],
    ['{{.Mounts | json}}', '[{"Type":"volume","Name":"v1","Destination":"/data"}]'],
    ['{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}', '172.17.0.2 10.0.0.2 '], // map keys sorted as in Go
    ['{{range $name, $n := .NetworkSettings.Networks}}{{$name}}={{$n.IPAddress}};{{end}}', 'bridge=172.17.0.2;net1=10.0.0.2;'],
    ['{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}', '8080'],
    ['{{range $p, $conf := .NetworkSettings.Ports}}{{$p}}{{if $conf}}->{{(index $conf 0).HostPort}}{{end}} {{end}}', '443/tcp 80/tcp->8080 '],
    ['{{join .Config.Env ","}}', 'A=1,B=2'],
    ['{{range .Config.Env}}{{println .}}{{end}}', 'A=1\nB=2\n'],
    ['{{if eq .State.Status "running"}}up{{else}}down{{end}}', 'up'],
    ['{{if not .State.Running}}down{{else if .State.Running}}up{{end}}', 'up'],
    ['{{with .NetworkSettings.Networks.net1}}{{join .Aliases "+"}}{{end}}', 'web+www'],
    ['{{range .Config.Labels}}x{{else}}none{{end}}', 'none'],
    ['{{.Missing}}', '<no value>'],
    ['{{.NetworkSettings.Networks.bridge.Aliases}}', '<nil>'],
    ['{{len .Config.Env}} {{upper .Name}} {{lower "AB"}}', '2 /WEB ab'],
    ['{{printf "%s:%d" .Name 5}}', '/web:5'],
    ['{{$ip := .NetworkSettings.IPAddress}}ip={{$ip}}', 'ip=172.17.0.2'],
    ['a {{- " b " -}} c', 'a b c'],
    ['{{.Config.Env}}', '[A=1 B=2]'],
    ['{{index .Config.Env 1}}', 'B=2'],
    ['{{range .Mounts}}{{$.Name}}:{{.Destination}}{{end}}', '/web:/data'],
  ])('%s', (src, out) => {
    expect(parseTemplate(src).execute(container)).toBe(out);
  });

  it.each([
    ['{{.Name', /unclosed action/],
    ['{{range .Mounts}}x', /missing \{\{end\}\}/],
    ['{{end}}', /unexpected \{\{end\}\}/],
    ['{{nosuch .Name}}', /function "nosuch" not defined/],
    ['{{.Name "x"}}', /can't give argument to non-function/],
    ['{{$undefined}}', /undefined variable "\$undefined"/],
    ['{{.Name.Sub}}', /can't evaluate field Sub in type string/],
    ['{{index .Config.Env 5}}', /index out of range/],
  ])('%s is an error', (src, message) => {
    expect(() => parseTemplate(src).execute(container)).toThrow(message);
  });
});
