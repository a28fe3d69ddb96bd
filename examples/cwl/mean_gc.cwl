#!/usr/bin/env cwl-runner
# The mean GC of the windows of a /compute/gc .tsv read off a GenomeDB
# mount: the input is a plain File whose location is a mount path
# (job.yml). See docs/PIPELINES.md.
cwlVersion: v1.2
class: CommandLineTool
baseCommand: [awk, -F, "\t"]
arguments:
  - 'NR > 1 { s += $4; n++ } END { printf "%.6f\n", s / n }'
inputs:
  windows:
    type: File
    inputBinding: {position: 1}
stdout: mean_gc.txt
outputs:
  mean_gc:
    type: stdout
