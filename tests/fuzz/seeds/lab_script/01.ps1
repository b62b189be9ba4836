
function Get-PatchStatus {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)][string]$ComputerName,
        [int]$Count = 2,
        [switch]$Detailed
    )
    $local = "only here"
    foreach ($i in 1..$Count) {
        if ($Detailed) { "${ComputerName}: KB50$i (detailed)" } else { "${ComputerName}: KB50$i" }
    }
}
function Add($a, $b) { return $a + $b; 'never' }
Get-PatchStatus -ComputerName SRV01
Get-PatchStatus SRV02 1 -Detailed
Add 2 3
"[$local]"
function Sum { ($input | Measure-Object -Sum).Sum }
1..4 | Sum
