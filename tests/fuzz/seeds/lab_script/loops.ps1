function Get-Twice { param($n) $n * 2 }
$sum = 0
for ($i = 0; $i -lt 10; $i++) { $sum += Get-Twice $i }
try { throw "boom" } catch { Write-Warning $_ } finally { $sum }
$h = @{ Name = 'x'; Count = 3 }
1..5 | Where-Object { $_ % 2 } | ForEach-Object { "{0}-{1}" -f $h.Name, $_ }
Start-Sleep -Milliseconds 1500
$name = Read-Host -Prompt 'Name'
while ($true) { if ($sum -gt 100) { break }; $sum += 7 }
New-Item -ItemType Directory C:\Temp\Fuzz | Out-Null; Set-Content C:\Temp\Fuzz\a.txt 'hi'; Get-Content C:\Temp\Fuzz\a.txt
