<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>mri::SelfCheck</name>
    <message>
        <source>the residual could not be measured (no finite values where the tissue is)</source>
        <translation>das Residuum ließ sich nicht messen (keine endlichen Werte im Gewebe)</translation>
    </message>
    <message>
        <source>the residual looks like the input&apos;s noise (%1 times its level) and the estimated gain is %2 dB</source>
        <translation>das Residuum sieht aus wie das Rauschen der Eingabe (%1-fache Stärke), geschätzter Gewinn %2 dB</translation>
    </message>
    <message>
        <source>little changed: the residual is only %1 times the input&apos;s noise in the tissue (an estimated gain of %2 dB)</source>
        <translation>kaum verändert: das Residuum ist im Gewebe nur %1-mal so stark wie das Rauschen der Eingabe (geschätzter Gewinn %2 dB)</translation>
    </message>
    <message>
        <source>tissue %1 % darker after enhancement than its input implies</source>
        <translation>Gewebe nach der Verbesserung %1 % dunkler, als die Eingabe erwarten lässt</translation>
    </message>
    <message>
        <source>tissue %1 % brighter after enhancement than its input implies</source>
        <translation>Gewebe nach der Verbesserung %1 % heller, als die Eingabe erwarten lässt</translation>
    </message>
    <message>
        <source>signal removed: the residual is %1 times the input&apos;s noise in the tissue</source>
        <translation>Signal entfernt: das Residuum ist im Gewebe %1-mal so stark wie das Rauschen der Eingabe</translation>
    </message>
    <message>
        <source>an estimated gain of only %1 dB over the input</source>
        <translation>geschätzter Gewinn gegenüber der Eingabe nur %1 dB</translation>
    </message>
    <message>
        <source>signal removed: the residual correlates with edges (%1) and the estimated gain is only %2 dB</source>
        <translation>Signal entfernt: das Residuum korreliert mit Kanten (%1), geschätzter Gewinn nur %2 dB</translation>
    </message>
</context>
<context>
    <name>mri::TrainingSettings</name>
    <message>
        <source>Objective</source>
        <translation>Ziel</translation>
    </message>
    <message>
        <source>Epochs</source>
        <translation>Epochen</translation>
    </message>
    <message>
        <source>Passes over the training slices; a resumed run continues up to this total</source>
        <translation>Durchläufe über die Trainingsschichten; ein fortgesetzter Lauf trainiert bis zu dieser Gesamtzahl</translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation>Lernrate</translation>
    </message>
    <message>
        <source>Initial step size of the Adam optimiser</source>
        <translation>Anfängliche Schrittweite des Adam-Optimierers</translation>
    </message>
    <message>
        <source>Batch size</source>
        <translation>Batchgröße</translation>
    </message>
    <message>
        <source>Patches per training step</source>
        <translation>Patches je Trainingsschritt</translation>
    </message>
    <message>
        <source>Patch size</source>
        <translation>Patchgröße</translation>
    </message>
    <message>
        <source>Side in pixels of the square patches cut from the slices</source>
        <translation>Seitenlänge in Pixeln der quadratischen Ausschnitte aus den Schichten</translation>
    </message>
    <message>
        <source>Patches per image</source>
        <translation>Patches je Bild</translation>
    </message>
    <message>
        <source>Patches drawn from every training slice per epoch</source>
        <translation>Patches, die je Epoche aus jeder Trainingsschicht gezogen werden</translation>
    </message>
    <message>
        <source>Validation fraction</source>
        <translation>Validierungsanteil</translation>
    </message>
    <message>
        <source>Share of the slices held back to measure validation loss and PSNR</source>
        <translation>Anteil der Schichten, der zur Messung von Validierungsverlust und PSNR zurückgehalten wird</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>Seed</translation>
    </message>
    <message>
        <source>Same seed, same run on the same machine; 0 picks one and reports it</source>
        <translation>Gleicher Seed, gleicher Lauf auf demselben Rechner; 0 wählt einen und meldet ihn</translation>
    </message>
    <message>
        <source>U-Net depth</source>
        <translation>U-Net-Tiefe</translation>
    </message>
    <message>
        <source>Down-sampling steps of the U-Net</source>
        <translation>Herunterskalierungsstufen des U-Net</translation>
    </message>
    <message>
        <source>Base channels</source>
        <translation>Basiskanäle</translation>
    </message>
    <message>
        <source>Channels of the first U-Net level, doubled per level</source>
        <translation>Kanäle der ersten U-Net-Stufe, je Stufe verdoppelt</translation>
    </message>
    <message>
        <source>Batch normalisation</source>
        <translation>Batch-Normalisierung</translation>
    </message>
    <message>
        <source>Batch normalisation after each convolution</source>
        <translation>Batch-Normalisierung nach jeder Faltung</translation>
    </message>
    <message>
        <source>Max-blur-pool</source>
        <translation>Max-Blur-Pooling</translation>
    </message>
    <message>
        <source>N2V2&apos;s max-blur-pool instead of max-pool for down-sampling</source>
        <translation>Max-Blur-Pooling von N2V2 statt Max-Pooling beim Herunterskalieren</translation>
    </message>
    <message>
        <source>Top skip connection</source>
        <translation>Oberste Skip-Verbindung</translation>
    </message>
    <message>
        <source>Skip connection at full resolution (N2V2 drops it)</source>
        <translation>Skip-Verbindung in voller Auflösung (N2V2 lässt sie weg)</translation>
    </message>
    <message>
        <source>Residual output</source>
        <translation>Residuale Ausgabe</translation>
    </message>
    <message>
        <source>Output = input + correction instead of Sigmoid of the last convolution</source>
        <translation>Ausgabe = Eingabe + Korrektur statt Sigmoid der letzten Faltung</translation>
    </message>
    <message>
        <source>Blind-spot fraction</source>
        <translation>Anteil blinder Flecken</translation>
    </message>
    <message>
        <source>Share of the pixels of each patch that Noise2Void hides and predicts</source>
        <translation>Anteil der Pixel jedes Patches, die Noise2Void verdeckt und vorhersagt</translation>
    </message>
    <message>
        <source>Blind-spot window</source>
        <translation>Fenster der blinden Flecken</translation>
    </message>
    <message>
        <source>Side of the window a blind spot&apos;s replacement value comes from</source>
        <translation>Seitenlänge des Fensters, aus dem der Ersatzwert eines blinden Flecks stammt</translation>
    </message>
    <message>
        <source>Median replacement</source>
        <translation>Median als Ersatz</translation>
    </message>
    <message>
        <source>N2V2: a blind spot gets its window&apos;s median instead of a random neighbour</source>
        <translation>N2V2: Ein blinder Fleck erhält den Median seines Fensters statt eines zufälligen Nachbarn</translation>
    </message>
    <message>
        <source>Synthetic noise</source>
        <translation>Synthetisches Rauschen</translation>
    </message>
    <message>
        <source>Noise the synthetic objective adds to the clean slices</source>
        <translation>Rauschen, das das Ziel synthetic den rauschfreien Schichten hinzufügt</translation>
    </message>
    <message>
        <source>Synthetic noise sigma</source>
        <translation>Sigma des synthetischen Rauschens</translation>
    </message>
    <message>
        <source>Standard deviation of that noise, as a fraction of the intensity range</source>
        <translation>Standardabweichung dieses Rauschens, als Anteil des Intensitätsbereichs</translation>
    </message>
    <message>
        <source>Cosine schedule</source>
        <translation>Kosinus-Zeitplan</translation>
    </message>
    <message>
        <source>Cosine decay of the learning rate over the run, after a short warm-up</source>
        <translation>Kosinusförmiges Absenken der Lernrate über den Lauf, nach einer kurzen Aufwärmphase</translation>
    </message>
    <message>
        <source>Remove the noise floor</source>
        <translation>Rauschboden entfernen</translation>
    </message>
    <message>
        <source>Enhancement removes the noise floor (Rician, or non-central chi for several coils) measured in each slice&apos;s background</source>
        <translation>Die Verbesserung entfernt den Rauschboden (Rice, oder nichtzentral Chi bei mehreren Spulen), gemessen im Hintergrund jeder Schicht</translation>
    </message>
    <message>
        <source>Time budget (s)</source>
        <translation>Zeitbudget (s)</translation>
    </message>
    <message>
        <source>Stop after this many seconds of training, the last epoch cut short; 0: no limit</source>
        <translation>Nach so vielen Sekunden Training anhalten, die letzte Epoche wird verkürzt; 0: keine Grenze</translation>
    </message>
    <message>
        <source>Threads</source>
        <translation>Threads</translation>
    </message>
    <message>
        <source>CPU threads for training; 0: all cores</source>
        <translation>CPU-Threads für das Training; 0: alle Kerne</translation>
    </message>
    <message>
        <source>Validate every</source>
        <translation>Validieren alle</translation>
    </message>
    <message>
        <source>Epochs between validations (the last epoch is always validated); more saves time on large validation sets</source>
        <translation>Epochen zwischen zwei Validierungen (die letzte Epoche wird immer validiert); ein größerer Wert spart bei großen Validierungsmengen Zeit</translation>
    </message>
    <message>
        <source>Linear output</source>
        <translation>Lineare Ausgabe</translation>
    </message>
    <message>
        <source>Input standardised by the training data&apos;s mean and deviation, output = mean + deviation x the last convolution instead of its Sigmoid: learns the intensity scale in far fewer steps</source>
        <translation>Eingabe mit Mittelwert und Standardabweichung der Trainingsdaten standardisiert, Ausgabe = Mittelwert + Standardabweichung x letzte Faltung statt ihres Sigmoids: lernt die Intensitätsskala in weit weniger Schritten</translation>
    </message>
    <message>
        <source>Blind-spot radius</source>
        <translation>Blind-Spot-Radius</translation>
    </message>
    <message>
        <source>Pixels around each blind spot hidden with it, for spatially correlated noise (0: the pixel alone); -1: chosen from the noise&apos;s autocorrelation in the training slices&apos; background</source>
        <translation>Pixel um jeden Blind Spot, die mit ihm verdeckt werden, für räumlich korreliertes Rauschen (0: nur das Pixel); -1: aus der Autokorrelation des Rauschens im Hintergrund der Trainingsschichten gewählt</translation>
    </message>
    <message>
        <source>Synthetic noise coils</source>
        <translation>Spulen des synthetischen Rauschens</translation>
    </message>
    <message>
        <source>Receive coils of Rician synthetic noise: above 1 it is non-central chi (sum of squares); ignored for Gaussian noise</source>
        <translation>Empfangsspulen des Rice-verteilten synthetischen Rauschens: über 1 ist es nichtzentral Chi-verteilt (Quadratsumme); bei Gaußschem Rauschen ohne Wirkung</translation>
    </message>
    <message>
        <source>Synthetic noise correlation</source>
        <translation>Korrelation des synthetischen Rauschens</translation>
    </message>
    <message>
        <source>Width in pixels (Gaussian kernel sigma) of the spatial correlation of the synthetic noise; 0: independent pixels</source>
        <translation>Breite in Pixeln (Sigma des Gauß-Kerns) der räumlichen Korrelation des synthetischen Rauschens; 0: unabhängige Pixel</translation>
    </message>
    <message>
        <source>Synthetic JPEG quality</source>
        <translation>Synthetische JPEG-Qualität</translation>
    </message>
    <message>
        <source>JPEG quality the noisy synthetic patches are compressed with; 0: no JPEG</source>
        <translation>JPEG-Qualität, mit der die verrauschten synthetischen Ausschnitte komprimiert werden; 0: kein JPEG</translation>
    </message>
    <message>
        <source>Receiver coils</source>
        <translation>Empfangsspulen</translation>
    </message>
    <message>
        <source>Coils of a sum-of-squares reconstruction, whose noise floor is non-central chi (1: Rician); 0: estimated from each slice&apos;s background</source>
        <translation>Spulen einer Quadratsummen-Rekonstruktion, deren Rauschboden nichtzentral Chi-verteilt ist (1: Rice); 0: aus dem Hintergrund jeder Schicht geschätzt</translation>
    </message>
    <message>
        <source>Volume plane</source>
        <translation>Volumenebene</translation>
    </message>
    <message>
        <source>Plane that volumes (NIfTI, DICOM) are cut into, from their orientation: training uses its slices and enhancement follows it</source>
        <translation>Ebene, in die Volumen (NIfTI, DICOM) nach ihrer Orientierung geschnitten werden: das Training nutzt ihre Schichten, die Verbesserung folgt ihr</translation>
    </message>
    <message>
        <source>What the network learns: n2v needs noisy slices only; synthetic adds noise to clean slices; superres learns to undo a coarser sampling from the slices themselves; identity learns to copy (for comparison)</source>
        <translation>Was das Netz lernt: n2v braucht nur verrauschte Schichten; synthetic fügt rauschfreien Schichten Rauschen hinzu; superres lernt aus den Schichten selbst, eine gröbere Abtastung rückgängig zu machen; identity lernt zu kopieren (zum Vergleich)</translation>
    </message>
    <message>
        <source>Neighbour slices</source>
        <translation>Nachbarschichten</translation>
    </message>
    <message>
        <source>2.5-D: slices on each side of a volume&apos;s slice given to the network as extra input channels (0: the slice alone; -1: 1 when training on volumes, 0 on pictures); pictures repeat their one slice</source>
        <translation>2.5-D: Schichten auf jeder Seite einer Volumenschicht, die das Netz als zusätzliche Eingabekanäle erhält (0: nur die Schicht; -1: 1 beim Training auf Volumen, 0 auf Bildern); Bilder wiederholen ihre einzige Schicht</translation>
    </message>
    <message>
        <source>Synthetic zero-fill factor</source>
        <translation>Synthetischer Zero-Filling-Faktor</translation>
    </message>
    <message>
        <source>The synthetic noise as a k-space zero-filled by this factor makes it (drawn on the coarser acquired grid and interpolated), as --noise zerofill:F; 1: none; not with synthetic_correlation</source>
        <translation>Das synthetische Rauschen, wie es ein um diesen Faktor mit Nullen aufgefüllter k-Raum erzeugt (auf dem gröberen aufgenommenen Gitter gezogen und interpoliert), wie --noise zerofill:F; 1: keines; nicht zusammen mit synthetic_correlation</translation>
    </message>
    <message>
        <source>Synthetic SENSE acceleration</source>
        <translation>Synthetische SENSE-Beschleunigung</translation>
    </message>
    <message>
        <source>The synthetic noise level varies over each patch as a parallel-imaging g-factor map of this acceleration, as --noise sense:R; 1: uniform</source>
        <translation>Die Stärke des synthetischen Rauschens variiert über jeden Patch wie eine g-Faktor-Karte der parallelen Bildgebung bei dieser Beschleunigung, wie --noise sense:R; 1: gleichmäßig</translation>
    </message>
    <message>
        <source>Super-resolution factor</source>
        <translation>Superauflösungsfaktor</translation>
    </message>
    <message>
        <source>The superres objective: how many times finer the result samples than the input (a volume&apos;s slice thickness over its in-plane pixel size)</source>
        <translation>Das Ziel superres: wie viel Mal feiner das Ergebnis abtastet als die Eingabe (Schichtdicke eines Volumens geteilt durch seine Pixelgröße in der Ebene)</translation>
    </message>
    <message>
        <source>Slice profile</source>
        <translation>Schichtprofil</translation>
    </message>
    <message>
        <source>How a thick slice averages the fine ones, for the superres objective: area (the mean of the factor&apos;s slices) or gaussian (full width at half maximum the factor)</source>
        <translation>Wie eine dicke Schicht die feinen mittelt, für das Ziel superres: area (Mittelwert von so vielen Schichten, wie der Faktor angibt) oder gaussian (Halbwertsbreite gleich dem Faktor)</translation>
    </message>
    <message>
        <source>Super-resolution axes</source>
        <translation>Achsen der Superauflösung</translation>
    </message>
    <message>
        <source>Axes the superres objective degrades: 1 (through-plane, for volumes with thick slices), 2 (in-plane, for pictures); 0: 1 when training on volumes, 2 on pictures</source>
        <translation>Achsen, die das Ziel superres verschlechtert: 1 (senkrecht zur Schichtebene, für Volumen mit dicken Schichten), 2 (in der Ebene, für Bilder); 0: 1 beim Training auf Volumen, 2 auf Bildern</translation>
    </message>
</context>
<context>
    <name>studio::ComparisonPage</name>
    <message>
        <source>Three random patients: original and enhanced</source>
        <translation>Drei zufällige Patienten: Original und verbessert</translation>
    </message>
    <message>
        <source>Reshuffle</source>
        <translation>Neu mischen</translation>
    </message>
    <message>
        <source>Pick three other patients at random</source>
        <translation>Drei andere Patienten zufällig auswählen</translation>
    </message>
    <message>
        <source>Save Figure…</source>
        <translation>Abbildung speichern…</translation>
    </message>
    <message>
        <source>Save these three patients as one PNG figure</source>
        <translation>Diese drei Patienten als eine PNG-Abbildung speichern</translation>
    </message>
    <message>
        <source>Figure saved to %1.</source>
        <translation>Abbildung gespeichert unter %1.</translation>
    </message>
    <message>
        <source>Open a dataset and enhance it to compare patients.</source>
        <translation>Öffnen Sie einen Datensatz und verbessern Sie ihn, um Patienten zu vergleichen.</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Wird geladen…</translation>
    </message>
    <message>
        <source>%1 · PSNR %2 dB · SSIM %3</source>
        <translation>%1 · PSNR %2 dB · SSIM %3</translation>
    </message>
    <message>
        <source>Original</source>
        <translation>Original</translation>
    </message>
    <message>
        <source>Enhanced</source>
        <translation>Verbessert</translation>
    </message>
    <message>
        <source>No patient has an enhanced slice yet: enhance the dataset first (Run ▸ Enhance All).</source>
        <translation>Noch kein Patient hat eine verbesserte Schicht: Verbessern Sie zuerst den Datensatz (Ausführen ▸ Alle verbessern).</translation>
    </message>
    <message>
        <source>Picked at random among %1 enhanced patients. Each pair is shown with the original&apos;s intensity range; PSNR and SSIM compare the enhanced slice with the original.</source>
        <translation>Zufällig ausgewählt unter %1 verbesserten Patienten. Jedes Paar wird mit dem Intensitätsbereich des Originals gezeigt; PSNR und SSIM vergleichen die verbesserte Schicht mit dem Original.</translation>
    </message>
    <message>
        <source>Save Comparison Figure</source>
        <translation>Vergleichsabbildung speichern</translation>
    </message>
    <message>
        <source>PNG images (*.png)</source>
        <translation>PNG-Bilder (*.png)</translation>
    </message>
    <message>
        <source>Patients with an enhanced slice: %1. Enhance at least three to compare three patients.</source>
        <translation>Patienten mit verbesserter Schicht: %1. Verbessern Sie mindestens drei, um drei Patienten zu vergleichen.</translation>
    </message>
    <message>
        <source> (on the input grid)</source>
        <translation> (auf dem Eingabegitter)</translation>
    </message>
    <message>
        <source>Original (nearest ×%1)</source>
        <translation>Original (nächster Nachbar ×%1)</translation>
    </message>
    <message>
        <source>Enhanced %1</source>
        <translation>Verbessert %1</translation>
    </message>
</context>
<context>
    <name>studio::ContrastPanel</name>
    <message>
        <source>None</source>
        <translation>Keine</translation>
    </message>
    <message>
        <source>CLAHE (local histogram equalisation)</source>
        <translation>CLAHE (lokaler Histogrammausgleich)</translation>
    </message>
    <message>
        <source>Gamma</source>
        <translation>Gamma</translation>
    </message>
    <message>
        <source>Contrast step after the network, before the result is written: %1.</source>
        <translation>Kontrastschritt nach dem Netz, bevor das Ergebnis geschrieben wird: %1.</translation>
    </message>
    <message>
        <source>Contrast after enhancing:</source>
        <translation>Kontrast nach dem Verbessern:</translation>
    </message>
    <message>
        <source> (%1 to %2)</source>
        <translation> (%1 bis %2)</translation>
    </message>
    <message>
        <source>Select a patient to preview the contrast step.</source>
        <translation>Wählen Sie einen Patienten aus, um eine Vorschau des Kontrastschritts zu sehen.</translation>
    </message>
    <message>
        <source>%1 with %2: grey/white CNR %3 → %4 (%5 ms, off the GUI thread).</source>
        <translation>%1 mit %2: CNR graue/weiße Substanz %3 → %4 (%5 ms, außerhalb des GUI-Threads).</translation>
    </message>
    <message>
        <source>Enhanced slice</source>
        <translation>Verbesserte Schicht</translation>
    </message>
    <message>
        <source>Original slice (not enhanced yet)</source>
        <translation>Originalschicht (noch nicht verbessert)</translation>
    </message>
</context>
<context>
    <name>studio::EngineWorker</name>
    <message>
        <source>Earlier results were not loaded: %1</source>
        <translation>Frühere Ergebnisse wurden nicht geladen: %1</translation>
    </message>
    <message>
        <source>The dataset could not be opened because of an unexpected error.</source>
        <translation>Der Datensatz konnte wegen eines unerwarteten Fehlers nicht geöffnet werden.</translation>
    </message>
    <message>
        <source>The CSV row has no image_path.</source>
        <translation>Die CSV-Zeile hat keinen image_path.</translation>
    </message>
    <message>
        <source>Checking images</source>
        <translation>Bilder werden geprüft</translation>
    </message>
    <message>
        <source>Building the demo dataset</source>
        <translation>Demo-Datensatz wird erstellt</translation>
    </message>
    <message>
        <source>The demo dataset could not be built because of an unexpected error.</source>
        <translation>Der Demo-Datensatz konnte wegen eines unerwarteten Fehlers nicht erstellt werden.</translation>
    </message>
    <message>
        <source>No dataset is open.</source>
        <translation>Es ist kein Datensatz geöffnet.</translation>
    </message>
    <message>
        <source>Training stopped because of an unexpected error.</source>
        <translation>Das Training wurde wegen eines unerwarteten Fehlers abgebrochen.</translation>
    </message>
    <message>
        <source>Enhancement stopped because of an unexpected error.</source>
        <translation>Die Verbesserung wurde wegen eines unerwarteten Fehlers abgebrochen.</translation>
    </message>
</context>
<context>
    <name>studio::Formatting</name>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 h %2 min</translation>
    </message>
    <message>
        <source>%1 min %2 s</source>
        <translation>%1 min %2 s</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
</context>
<context>
    <name>studio::ImageWorker</name>
    <message>
        <source>The CSV row has no image_path.</source>
        <translation>Die CSV-Zeile hat keinen image_path.</translation>
    </message>
    <message>
        <source>The enhanced slice &apos;%1&apos; does not match the size or bit depth of the original.</source>
        <translation>Die verbesserte Schicht „%1“ passt in Größe oder Bittiefe nicht zum Original.</translation>
    </message>
    <message>
        <source>The slices could not be shown because of an unexpected error.</source>
        <translation>Die Schichten konnten wegen eines unerwarteten Fehlers nicht angezeigt werden.</translation>
    </message>
    <message>
        <source>No dataset is open.</source>
        <translation>Es ist kein Datensatz geöffnet.</translation>
    </message>
    <message>
        <source>The comparison could not be loaded because of an unexpected error.</source>
        <translation>Der Vergleich konnte wegen eines unerwarteten Fehlers nicht geladen werden.</translation>
    </message>
    <message>
        <source>The figure could not be saved because of an unexpected error.</source>
        <translation>Die Abbildung konnte wegen eines unerwarteten Fehlers nicht gespeichert werden.</translation>
    </message>
    <message>
        <source>The metrics CSV could not be written because of an unexpected error.</source>
        <translation>Die Metrik-CSV konnte wegen eines unerwarteten Fehlers nicht geschrieben werden.</translation>
    </message>
    <message>
        <source>The model file &apos;%1&apos; could not be read.</source>
        <translation>Die Modelldatei „%1“ konnte nicht gelesen werden.</translation>
    </message>
    <message>
        <source>The model file &apos;%1&apos; cannot be read.</source>
        <translation>Die Modelldatei „%1“ kann nicht gelesen werden.</translation>
    </message>
    <message>
        <source>The model could not be saved because of an unexpected error.</source>
        <translation>Das Modell konnte wegen eines unerwarteten Fehlers nicht gespeichert werden.</translation>
    </message>
    <message>
        <source>×%1 in-plane</source>
        <translation>×%1 in der Ebene</translation>
    </message>
</context>
<context>
    <name>studio::MainWindow</name>
    <message>
        <source>Opening dataset</source>
        <translation>Datensatz wird geöffnet</translation>
    </message>
    <message>
        <source>Building demo dataset</source>
        <translation>Demo-Datensatz wird erstellt</translation>
    </message>
    <message>
        <source>Training</source>
        <translation>Training</translation>
    </message>
    <message>
        <source>Enhancing</source>
        <translation>Verbesserung läuft</translation>
    </message>
    <message>
        <source>Patients</source>
        <translation>Patienten</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>Vergleich</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <source>Zoom &amp;In</source>
        <translation>Ver&amp;größern</translation>
    </message>
    <message>
        <source>Zoom &amp;Out</source>
        <translation>Ver&amp;kleinern</translation>
    </message>
    <message>
        <source>&amp;Fit to Window</source>
        <translation>&amp;In Fenster einpassen</translation>
    </message>
    <message>
        <source>&amp;Actual Pixels</source>
        <translation>&amp;Originalpixel</translation>
    </message>
    <message>
        <source>Show &amp;Difference</source>
        <translation>&amp;Differenz zeigen</translation>
    </message>
    <message>
        <source>&amp;About MRI Enhance Studio</source>
        <translation>&amp;Über MRI Enhance Studio</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Datei</translation>
    </message>
    <message>
        <source>Open &amp;Recent</source>
        <translation>&amp;Zuletzt geöffnet</translation>
    </message>
    <message>
        <source>&amp;Run</source>
        <translation>&amp;Ausführen</translation>
    </message>
    <message>
        <source>&amp;Model</source>
        <translation>&amp;Modell</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>A&amp;nsicht</translation>
    </message>
    <message>
        <source>&amp;Patients</source>
        <translation>&amp;Patienten</translation>
    </message>
    <message>
        <source>&amp;Training</source>
        <translation>&amp;Training</translation>
    </message>
    <message>
        <source>&amp;Compare</source>
        <translation>&amp;Vergleich</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Hilfe</translation>
    </message>
    <message>
        <source>Main</source>
        <translation>Haupt</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Stop the running task; finished work is kept</source>
        <translation>Die laufende Aufgabe anhalten; Fertiges bleibt erhalten</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>Bereit</translation>
    </message>
    <message>
        <source>%1 %2/%3</source>
        <translation>%1 %2/%3</translation>
    </message>
    <message>
        <source>Training: epoch %1/%2 · %3 left</source>
        <translation>Training: Epoche %1/%2 · noch %3</translation>
    </message>
    <message>
        <source>Enhancing %1/%2</source>
        <translation>Verbesserung %1/%2</translation>
    </message>
    <message>
        <source> · %1 failed</source>
        <translation> · %1 fehlgeschlagen</translation>
    </message>
    <message>
        <source> · %1 left</source>
        <translation> · noch %1</translation>
    </message>
    <message>
        <source>Enhancement cancelled: %1 enhanced, %2 failed.</source>
        <translation>Verbesserung abgebrochen: %1 verbessert, %2 fehlgeschlagen.</translation>
    </message>
    <message>
        <source>Enhancement finished: %1 enhanced, %2 failed.</source>
        <translation>Verbesserung beendet: %1 verbessert, %2 fehlgeschlagen.</translation>
    </message>
    <message>
        <source>Metrics written to %1.</source>
        <translation>Metriken geschrieben nach %1.</translation>
    </message>
    <message>
        <source>Figure saved to %1.</source>
        <translation>Abbildung gespeichert unter %1.</translation>
    </message>
    <message>
        <source>Model saved to %1.</source>
        <translation>Modell gespeichert unter %1.</translation>
    </message>
    <message>
        <source>The dataset folder &apos;%1&apos; does not exist.</source>
        <translation>Der Datensatzordner „%1“ existiert nicht.</translation>
    </message>
    <message>
        <source>Open Dataset Folder</source>
        <translation>Datensatzordner öffnen</translation>
    </message>
    <message>
        <source>&amp;%1 %2</source>
        <translation>&amp;%1 %2</translation>
    </message>
    <message>
        <source>No recent datasets</source>
        <translation>Keine zuletzt geöffneten Datensätze</translation>
    </message>
    <message>
        <source>&amp;Clear List</source>
        <translation>Liste &amp;leeren</translation>
    </message>
    <message>
        <source>Select one or more patients in the table first.</source>
        <translation>Wählen Sie zuerst einen oder mehrere Patienten in der Tabelle aus.</translation>
    </message>
    <message>
        <source>Export Metrics CSV</source>
        <translation>Metrik-CSV exportieren</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV-Dateien (*.csv)</translation>
    </message>
    <message>
        <source>The demo dataset needs the MRI volume %1, which is missing: install the package mricron-data.</source>
        <translation>Der Demo-Datensatz benötigt das MRT-Volumen %1, das fehlt: Installieren Sie das Paket mricron-data.</translation>
    </message>
    <message>
        <source>Building the demo dataset in %1…</source>
        <translation>Demo-Datensatz wird in %1 erstellt…</translation>
    </message>
    <message>
        <source>Open a dataset folder to begin (File ▸ Open Dataset). The demo dataset needs the package mricron-data, which is not installed.</source>
        <translation>Öffnen Sie zu Beginn einen Datensatzordner (Datei ▸ Datensatz öffnen). Der Demo-Datensatz benötigt das Paket mricron-data, das nicht installiert ist.</translation>
    </message>
    <message>
        <source>No Dataset Open</source>
        <translation>Kein Datensatz geöffnet</translation>
    </message>
    <message>
        <source>No dataset is open yet. Build a demo dataset of 40 noisy brain slices from the MNI template and open it?</source>
        <translation>Es ist noch kein Datensatz geöffnet. Einen Demo-Datensatz aus 40 verrauschten Hirnschichten der MNI-Vorlage erstellen und öffnen?</translation>
    </message>
    <message>
        <source>It is written to %1 and takes a few seconds.</source>
        <translation>Er wird nach %1 geschrieben und braucht einige Sekunden.</translation>
    </message>
    <message>
        <source>MRI Enhance Studio</source>
        <translation>MRI Enhance Studio</translation>
    </message>
    <message>
        <source>%1 — MRI Enhance Studio</source>
        <translation>%1 — MRI Enhance Studio</translation>
    </message>
    <message>
        <source>No model yet</source>
        <translation>Noch kein Modell</translation>
    </message>
    <message>
        <source>Training writes %1</source>
        <translation>Das Training schreibt %1</translation>
    </message>
    <message>
        <source>Model: %1</source>
        <translation>Modell: %1</translation>
    </message>
    <message>
        <source>About MRI Enhance Studio</source>
        <translation>Über MRI Enhance Studio</translation>
    </message>
    <message>
        <source>&lt;h3&gt;MRI Enhance Studio %1&lt;/h3&gt;&lt;p&gt;Self-supervised denoising of MRI slices with a U-Net (Noise2Void), with PSNR and SSIM computed as scikit-image does.&lt;/p&gt;&lt;p&gt;Research software: not for diagnostic use.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;MRI Enhance Studio %1&lt;/h3&gt;&lt;p&gt;Selbstüberwachte Rauschunterdrückung von MRT-Schichten mit einem U-Net (Noise2Void), mit PSNR und SSIM berechnet wie in scikit-image.&lt;/p&gt;&lt;p&gt;Forschungssoftware: nicht für die Diagnostik bestimmt.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Stopping…</source>
        <translation>Wird angehalten…</translation>
    </message>
    <message>
        <source>Opened %1 (rows: %2).</source>
        <translation>%1 geöffnet (Zeilen: %2).</translation>
    </message>
    <message>
        <source>Unreadable images: %1. Their rows are marked in the table.</source>
        <translation>Nicht lesbare Bilder: %1. Ihre Zeilen sind in der Tabelle markiert.</translation>
    </message>
    <message>
        <source>Training stopped; complete epochs: %1.</source>
        <translation>Training angehalten; vollständige Epochen: %1.</translation>
    </message>
    <message>
        <source>Training finished; epochs trained: %1.</source>
        <translation>Training beendet; trainierte Epochen: %1.</translation>
    </message>
    <message>
        <source>Model: %1 (%2, epochs: %3)</source>
        <translation>Modell: %1 (%2, Epochen: %3)</translation>
    </message>
    <message>
        <source>Enhancing slice %1/%2 · tile %3 of %4</source>
        <translation>Verbessere Schicht %1/%2 · Kachel %3 von %4</translation>
    </message>
    <message>
        <source>Show &amp;Residual</source>
        <translation>&amp;Residuum zeigen</translation>
    </message>
</context>
<context>
    <name>studio::PatientTableModel</name>
    <message>
        <source>Unreadable: %1</source>
        <translation>Nicht lesbar: %1</translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation>Fehlgeschlagen: %1</translation>
    </message>
    <message>
        <source>Enhanced</source>
        <translation>Verbessert</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>Wird geprüft…</translation>
    </message>
    <message>
        <source>Not enhanced</source>
        <translation>Nicht verbessert</translation>
    </message>
    <message>
        <source>%1 × %2 · %3-bit</source>
        <translation>%1 × %2 · %3 Bit</translation>
    </message>
    <message>
        <source>Enhanced slice against the original: %1</source>
        <translation>Verbesserte Schicht gegenüber dem Original: %1</translation>
    </message>
    <message>
        <source>Patient</source>
        <translation>Patient</translation>
    </message>
    <message>
        <source>Image file</source>
        <translation>Bilddatei</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Größe</translation>
    </message>
    <message>
        <source>PSNR (dB)</source>
        <translation>PSNR (dB)</translation>
    </message>
    <message>
        <source>SSIM</source>
        <translation>SSIM</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Study date</source>
        <translation>Studiendatum</translation>
    </message>
    <message>
        <source>Description</source>
        <translation>Beschreibung</translation>
    </message>
    <message>
        <source>%1 × %2 × %3 · %4</source>
        <translation>%1 × %2 × %3 · %4</translation>
    </message>
    <message>
        <source>ok</source>
        <translation>in Ordnung</translation>
    </message>
    <message>
        <source>check</source>
        <translation>prüfen</translation>
    </message>
    <message>
        <source>suspect</source>
        <translation>verdächtig</translation>
    </message>
    <message>
        <source>estimated gain %1 dB, residual %2 × the noise</source>
        <translation>geschätzter Gewinn %1 dB, Residuum %2 × das Rauschen</translation>
    </message>
    <message>
        <source>Self-check: %1 (%2)</source>
        <translation>Selbstprüfung: %1 (%2)</translation>
    </message>
    <message>
        <source>Self-check: %1 — %2 (%3)</source>
        <translation>Selbstprüfung: %1 — %2 (%3)</translation>
    </message>
    <message>
        <source>Enhanced · %1</source>
        <translation>Verbessert · %1</translation>
    </message>
</context>
<context>
    <name>studio::PatientsPage</name>
    <message>
        <source>Filter patients, files or status…</source>
        <translation>Patienten, Dateien oder Status filtern…</translation>
    </message>
    <message>
        <source>Select a patient.</source>
        <translation>Wählen Sie einen Patienten aus.</translation>
    </message>
    <message>
        <source>No dataset open.</source>
        <translation>Kein Datensatz geöffnet.</translation>
    </message>
    <message>
        <source>Rows: %1 · enhanced: %2</source>
        <translation>Zeilen: %1 · verbessert: %2</translation>
    </message>
    <message>
        <source> · unreadable: %1</source>
        <translation> · nicht lesbar: %1</translation>
    </message>
    <message>
        <source>Loading %1…</source>
        <translation>Lade %1…</translation>
    </message>
</context>
<context>
    <name>studio::SettingsForm</name>
    <message>
        <source>Training options</source>
        <translation>Trainingsoptionen</translation>
    </message>
    <message>
        <source>%1:</source>
        <translation>%1:</translation>
    </message>
    <message>
        <source>Advanced</source>
        <translation>Erweitert</translation>
    </message>
    <message>
        <source>Show or hide the settings most runs leave at their defaults</source>
        <translation>Die Einstellungen zeigen oder verbergen, die die meisten Läufe auf ihrem Standardwert lassen</translation>
    </message>
    <message>
        <source>From %1 to %2.</source>
        <translation>Von %1 bis %2.</translation>
    </message>
    <message>
        <source>One of: %1.</source>
        <translation>Eines von: %1.</translation>
    </message>
    <message>
        <source>Default: %1.</source>
        <translation>Standardwert: %1.</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
</context>
<context>
    <name>studio::SideBySideView</name>
    <message>
        <source>Fit</source>
        <translation>Einpassen</translation>
    </message>
    <message>
        <source>Fit the slices to the view</source>
        <translation>Die Schichten in die Ansicht einpassen</translation>
    </message>
    <message>
        <source>1:1</source>
        <translation>1:1</translation>
    </message>
    <message>
        <source>One screen pixel per image pixel</source>
        <translation>Ein Bildschirmpixel je Bildpixel</translation>
    </message>
    <message>
        <source>+</source>
        <translation>+</translation>
    </message>
    <message>
        <source>Zoom in</source>
        <translation>Vergrößern</translation>
    </message>
    <message>
        <source>−</source>
        <translation>−</translation>
    </message>
    <message>
        <source>Zoom out</source>
        <translation>Verkleinern</translation>
    </message>
    <message>
        <source>Level</source>
        <translation>Level</translation>
    </message>
    <message>
        <source>Brightness: the raw value shown as mid-grey</source>
        <translation>Helligkeit: der Rohwert, der als mittleres Grau erscheint</translation>
    </message>
    <message>
        <source>Width</source>
        <translation>Fenster</translation>
    </message>
    <message>
        <source>Contrast: the range of raw values spread from black to white</source>
        <translation>Kontrast: der Bereich der Rohwerte, der von Schwarz bis Weiß reicht</translation>
    </message>
    <message>
        <source>Auto</source>
        <translation>Auto</translation>
    </message>
    <message>
        <source>Window/level from the original&apos;s 0.5th to 99.5th percentile</source>
        <translation>Fenster/Level aus dem 0,5. bis 99,5. Perzentil des Originals</translation>
    </message>
    <message>
        <source>Difference</source>
        <translation>Differenz</translation>
    </message>
    <message>
        <source>Show |original − enhanced| instead of the enhanced slice (D)</source>
        <translation>|Original − verbessert| statt der verbesserten Schicht zeigen (D)</translation>
    </message>
    <message>
        <source>Wheel: zoom · drag: pan · right drag: window/level · double click: fit</source>
        <translation>Mausrad: Zoom · Ziehen: Verschieben · Rechts ziehen: Fenster/Level · Doppelklick: Einpassen</translation>
    </message>
    <message>
        <source>Open a dataset and select a patient.</source>
        <translation>Öffnen Sie einen Datensatz und wählen Sie einen Patienten aus.</translation>
    </message>
    <message>
        <source>Enhancement failed: %1</source>
        <translation>Verbesserung fehlgeschlagen: %1</translation>
    </message>
    <message>
        <source>Nothing to enhance: the original cannot be read.</source>
        <translation>Nichts zu verbessern: Das Original kann nicht gelesen werden.</translation>
    </message>
    <message>
        <source>Not enhanced yet.
Choose Run ▸ Enhance Selected (Ctrl+E).</source>
        <translation>Noch nicht verbessert.
Wählen Sie Ausführen ▸ Auswahl verbessern (Strg+E).</translation>
    </message>
    <message>
        <source>%1 × %2 · %3-bit</source>
        <translation>%1 × %2 · %3 Bit</translation>
    </message>
    <message>
        <source>PSNR %1 dB · SSIM %2 against the clean slice</source>
        <translation>PSNR %1 dB · SSIM %2 gegenüber der rauschfreien Schicht</translation>
    </message>
    <message>
        <source>Reference of the PSNR and SSIM</source>
        <translation>Referenz für PSNR und SSIM</translation>
    </message>
    <message>
        <source>Original · %1</source>
        <translation>Original · %1</translation>
    </message>
    <message>
        <source>Difference |original − enhanced|</source>
        <translation>Differenz |Original − verbessert|</translation>
    </message>
    <message>
        <source>Black 0 · white %1 and above</source>
        <translation>Schwarz 0 · Weiß ab %1</translation>
    </message>
    <message>
        <source>Enhanced</source>
        <translation>Verbessert</translation>
    </message>
    <message>
        <source>PSNR %1 dB · SSIM %2 against the original</source>
        <translation>PSNR %1 dB · SSIM %2 gegenüber dem Original</translation>
    </message>
    <message>
        <source>x %1, y %2 · original %3</source>
        <translation>x %1, y %2 · Original %3</translation>
    </message>
    <message>
        <source> · enhanced %1</source>
        <translation> · verbessert %1</translation>
    </message>
    <message>
        <source> · difference %1</source>
        <translation> · Differenz %1</translation>
    </message>
    <message>
        <source>The plane the volume is cut in</source>
        <translation>Die Ebene, in der das Volumen geschnitten wird</translation>
    </message>
    <message>
        <source>Axial</source>
        <translation>Axial</translation>
    </message>
    <message>
        <source>Coronal</source>
        <translation>Koronal</translation>
    </message>
    <message>
        <source>Sagittal</source>
        <translation>Sagittal</translation>
    </message>
    <message>
        <source>Slice (Ctrl+wheel, Page Up/Page Down)</source>
        <translation>Schicht (Strg+Mausrad, Bild auf/Bild ab)</translation>
    </message>
    <message>
        <source>slice %1 / %2</source>
        <translation>Schicht %1 / %2</translation>
    </message>
    <message>
        <source>%1 × %2 · %3 slice %4 / %5</source>
        <translation>%1 × %2 · %3, Schicht %4 / %5</translation>
    </message>
    <message>
        <source>Wheel: zoom · Ctrl+wheel, Page Up/Down: slice · drag: pan · right drag: window/level · double click: fit</source>
        <translation>Mausrad: Zoom · Strg+Mausrad, Bild auf/ab: Schicht · Ziehen: Verschieben · Rechts ziehen: Fenster/Level · Doppelklick: Einpassen</translation>
    </message>
    <message>
        <source> · original %1 / %2</source>
        <translation> · Original %1 / %2</translation>
    </message>
    <message>
        <source>Shown at its physical size (nearest neighbour)</source>
        <translation>In physischer Größe dargestellt (nächster Nachbar)</translation>
    </message>
    <message>
        <source>Shown ×%1, nearest neighbour, at the enhanced size</source>
        <translation>×%1 dargestellt, nächster Nachbar, in der Größe des verbesserten Bilds</translation>
    </message>
    <message>
        <source>Against the original stretched ×%1 (nearest neighbour)</source>
        <translation>Gegenüber dem ×%1 gestreckten Original (nächster Nachbar)</translation>
    </message>
    <message>
        <source>Enhanced %1</source>
        <translation>Verbessert %1</translation>
    </message>
    <message>
        <source>%1 × %2</source>
        <translation>%1 × %2</translation>
    </message>
    <message>
        <source>PSNR %1 dB · SSIM %2 against the original, on its grid (down-sampled ×%3)</source>
        <translation>PSNR %1 dB · SSIM %2 gegenüber dem Original, auf dessen Gitter (×%3 herunterskaliert)</translation>
    </message>
    <message>
        <source>original x %1, y %2: %3</source>
        <translation>Original x %1, y %2: %3</translation>
    </message>
    <message>
        <source> · enhanced x %1, y %2: %3</source>
        <translation> · verbessert x %1, y %2: %3</translation>
    </message>
    <message>
        <source>Residual</source>
        <translation>Residuum</translation>
    </message>
    <message>
        <source>Show |original − expected(enhanced)| under the self-check&apos;s noise model instead of the enhanced slice: noise only where the signal was kept, anatomy where some was removed (R)</source>
        <translation>|Original − erwartet(verbessert)| nach dem Rauschmodell der Selbstprüfung statt der verbesserten Schicht zeigen: nur Rauschen, wo das Signal erhalten blieb, Anatomie, wo etwas davon entfernt wurde (R)</translation>
    </message>
    <message>
        <source>Residual |original − expected(enhanced)|</source>
        <translation>Residuum |Original − erwartet(verbessert)|</translation>
    </message>
    <message>
        <source>Noise only where the signal was kept</source>
        <translation>Nur Rauschen, wo das Signal erhalten blieb</translation>
    </message>
    <message>
        <source>Noise model of the self-check: σ %1, %2 coil(s)</source>
        <translation>Rauschmodell der Selbstprüfung: σ %1, %2 Spule(n)</translation>
    </message>
    <message>
        <source>Residual = difference |original − enhanced|: no self-check</source>
        <translation>Residuum = Differenz |Original − verbessert|: keine Selbstprüfung</translation>
    </message>
    <message>
        <source>No noise level was measured for this result, so the residual is the plain difference</source>
        <translation>Für dieses Ergebnis wurde kein Rauschpegel gemessen; das Residuum ist daher die einfache Differenz</translation>
    </message>
    <message>
        <source> · residual %1</source>
        <translation> · Residuum %1</translation>
    </message>
</context>
<context>
    <name>studio::SliceCanvas</name>
    <message>
        <source>%1%</source>
        <translation>%1 %</translation>
    </message>
</context>
<context>
    <name>studio::StartupOptions</name>
    <message>
        <source>Browse an MRI dataset, train a denoising U-Net, enhance slices and compare them.</source>
        <translation>Einen MRT-Datensatz durchsehen, ein entrauschendes U-Net trainieren, Schichten verbessern und vergleichen.</translation>
    </message>
    <message>
        <source>Dataset folder to open (with brain_tumor_info.csv or images).</source>
        <translation>Zu öffnender Datensatzordner (mit brain_tumor_info.csv oder Bildern).</translation>
    </message>
    <message>
        <source>Model file used for enhancement.</source>
        <translation>Modelldatei für die Verbesserung.</translation>
    </message>
    <message>
        <source>Tab to show: patients, training or compare.</source>
        <translation>Anzuzeigender Reiter: patients, training oder compare.</translation>
    </message>
    <message>
        <source>Render the window to this PNG file once the dataset is loaded, then exit.</source>
        <translation>Das Fenster nach dem Laden des Datensatzes in diese PNG-Datei zeichnen und beenden.</translation>
    </message>
    <message>
        <source>Give at most one dataset folder.</source>
        <translation>Geben Sie höchstens einen Datensatzordner an.</translation>
    </message>
    <message>
        <source>Unknown tab &apos;%1&apos;: use patients, training or compare.</source>
        <translation>Unbekannter Reiter „%1“: Verwenden Sie patients, training oder compare.</translation>
    </message>
</context>
<context>
    <name>studio::StudioActions</name>
    <message>
        <source>&amp;Open Dataset…</source>
        <translation>Datensatz ö&amp;ffnen…</translation>
    </message>
    <message>
        <source>Open a folder with brain_tumor_info.csv or with slice images</source>
        <translation>Einen Ordner mit brain_tumor_info.csv oder mit Schichtbildern öffnen</translation>
    </message>
    <message>
        <source>Build &amp;Demo Dataset</source>
        <translation>&amp;Demo-Datensatz erstellen</translation>
    </message>
    <message>
        <source>Write noisy slices of the MNI brain template and open them</source>
        <translation>Verrauschte Schichten der MNI-Hirnvorlage schreiben und öffnen</translation>
    </message>
    <message>
        <source>&amp;Export Metrics CSV</source>
        <translation>Metrik-CSV &amp;exportieren</translation>
    </message>
    <message>
        <source>Write brain_tumor_info_metrics.csv next to the dataset</source>
        <translation>brain_tumor_info_metrics.csv neben den Datensatz schreiben</translation>
    </message>
    <message>
        <source>Export Metrics CSV &amp;As…</source>
        <translation>Metrik-CSV exportieren &amp;als…</translation>
    </message>
    <message>
        <source>Save Comparison &amp;Figure…</source>
        <translation>&amp;Vergleichsabbildung speichern…</translation>
    </message>
    <message>
        <source>&amp;Load Model…</source>
        <translation>Modell &amp;laden…</translation>
    </message>
    <message>
        <source>Choose the model file used for enhancement</source>
        <translation>Die Modelldatei für die Verbesserung wählen</translation>
    </message>
    <message>
        <source>&amp;Save Model As…</source>
        <translation>Modell &amp;speichern unter…</translation>
    </message>
    <message>
        <source>Copy the current checkpoint to another file</source>
        <translation>Den aktuellen Checkpoint in eine andere Datei kopieren</translation>
    </message>
    <message>
        <source>Start &amp;Training</source>
        <translation>&amp;Training starten</translation>
    </message>
    <message>
        <source>Train a new model with the options of the Training tab</source>
        <translation>Ein neues Modell mit den Optionen des Reiters „Training“ trainieren</translation>
    </message>
    <message>
        <source>&amp;Resume Training</source>
        <translation>Training &amp;fortsetzen</translation>
    </message>
    <message>
        <source>Continue training from the model&apos;s checkpoint</source>
        <translation>Das Training ab dem Checkpoint des Modells fortsetzen</translation>
    </message>
    <message>
        <source>&amp;Stop</source>
        <translation>&amp;Stopp</translation>
    </message>
    <message>
        <source>Stop training or enhancement; finished work is kept</source>
        <translation>Training oder Verbesserung anhalten; Fertiges bleibt erhalten</translation>
    </message>
    <message>
        <source>&amp;Enhance Selected</source>
        <translation>Auswahl &amp;verbessern</translation>
    </message>
    <message>
        <source>Enhance the patients selected in the table with the current model</source>
        <translation>Die in der Tabelle ausgewählten Patienten mit dem aktuellen Modell verbessern</translation>
    </message>
    <message>
        <source>Enhance &amp;All</source>
        <translation>&amp;Alle verbessern</translation>
    </message>
    <message>
        <source>&amp;Compare Three Patients</source>
        <translation>Drei Patienten ver&amp;gleichen</translation>
    </message>
    <message>
        <source>Res&amp;huffle Comparison</source>
        <translation>Vergleich neu &amp;mischen</translation>
    </message>
</context>
<context>
    <name>studio::StudioLauncher</name>
    <message>
        <source>The screenshot could not be written to &apos;%1&apos;.</source>
        <translation>Das Bildschirmfoto konnte nicht nach „%1“ geschrieben werden.</translation>
    </message>
    <message>
        <source>Screenshot written to %1</source>
        <translation>Bildschirmfoto geschrieben nach %1</translation>
    </message>
</context>
<context>
    <name>studio::StudioSession</name>
    <message>
        <source>Another task is still running; wait for it to finish or cancel it first.</source>
        <translation>Eine andere Aufgabe läuft noch; warten Sie, bis sie fertig ist, oder brechen Sie sie zuerst ab.</translation>
    </message>
    <message>
        <source>Open a dataset before training.</source>
        <translation>Öffnen Sie vor dem Training einen Datensatz.</translation>
    </message>
    <message>
        <source>There is no checkpoint to resume at &apos;%1&apos;.</source>
        <translation>Unter „%1“ gibt es keinen Checkpoint zum Fortsetzen.</translation>
    </message>
    <message>
        <source>Open a dataset before enhancing.</source>
        <translation>Öffnen Sie vor dem Verbessern einen Datensatz.</translation>
    </message>
    <message>
        <source>There is no model to enhance with yet: train one or load a model file.</source>
        <translation>Es gibt noch kein Modell zum Verbessern: Trainieren Sie eines oder laden Sie eine Modelldatei.</translation>
    </message>
    <message>
        <source>Open a dataset before exporting metrics.</source>
        <translation>Öffnen Sie vor dem Exportieren der Metriken einen Datensatz.</translation>
    </message>
    <message>
        <source>There is no trained model to save yet.</source>
        <translation>Es gibt noch kein trainiertes Modell zum Speichern.</translation>
    </message>
</context>
<context>
    <name>studio::TrainingChart</name>
    <message>
        <source>Step</source>
        <translation>Schritt</translation>
    </message>
    <message>
        <source>Loss</source>
        <translation>Verlust</translation>
    </message>
    <message>
        <source>Validation PSNR (dB)</source>
        <translation>Validierungs-PSNR (dB)</translation>
    </message>
    <message>
        <source>Training loss (per step)</source>
        <translation>Trainingsverlust (je Schritt)</translation>
    </message>
    <message>
        <source>Training loss (smoothed)</source>
        <translation>Trainingsverlust (geglättet)</translation>
    </message>
    <message>
        <source>Validation loss (per epoch)</source>
        <translation>Validierungsverlust (je Epoche)</translation>
    </message>
    <message>
        <source>Validation PSNR (per epoch)</source>
        <translation>Validierungs-PSNR (je Epoche)</translation>
    </message>
    <message>
        <source>Logarithmic loss axis</source>
        <translation>Logarithmische Verlustachse</translation>
    </message>
    <message>
        <source>Start training to follow the training loss per step
and the validation loss and PSNR per epoch here.</source>
        <translation>Starten Sie das Training, um hier den Trainingsverlust je Schritt
sowie Validierungsverlust und PSNR je Epoche zu verfolgen.</translation>
    </message>
</context>
<context>
    <name>studio::TrainingPanel</name>
    <message>
        <source>Restore Defaults</source>
        <translation>Standardwerte</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <source>Not started</source>
        <translation>Nicht gestartet</translation>
    </message>
    <message>
        <source>Epoch summaries and messages of the engine appear here.</source>
        <translation>Epochenübersichten und Meldungen der Engine erscheinen hier.</translation>
    </message>
    <message>
        <source>Preparing patches…</source>
        <translation>Patches werden vorbereitet…</translation>
    </message>
    <message>
        <source>Resuming from the checkpoint…</source>
        <translation>Fortsetzung ab dem Checkpoint…</translation>
    </message>
    <message>
        <source>Loading the training images…</source>
        <translation>Trainingsbilder werden geladen…</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>Fehlgeschlagen</translation>
    </message>
    <message>
        <source>Stopping after the current step…</source>
        <translation>Anhalten nach dem aktuellen Schritt…</translation>
    </message>
    <message>
        <source>Load Model</source>
        <translation>Modell laden</translation>
    </message>
    <message>
        <source>Models (*.pt);;All files (*)</source>
        <translation>Modelle (*.pt);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Save Model As</source>
        <translation>Modell speichern unter</translation>
    </message>
    <message>
        <source>Models (*.pt)</source>
        <translation>Modelle (*.pt)</translation>
    </message>
    <message>
        <source>No model chosen.</source>
        <translation>Kein Modell gewählt.</translation>
    </message>
    <message>
        <source>U-Net, depth %1, %2 base channels · objective %3 · epochs trained: %4</source>
        <translation>U-Net, Tiefe %1, %2 Basiskanäle · Ziel %3 · trainierte Epochen: %4</translation>
    </message>
    <message>
        <source>Reading the model…</source>
        <translation>Modell wird gelesen…</translation>
    </message>
    <message>
        <source>Epoch %1/%2 · step %3/%4 · %5 left</source>
        <translation>Epoche %1/%2 · Schritt %3/%4 · noch %5</translation>
    </message>
    <message>
        <source>Training loss %1 · elapsed %2</source>
        <translation>Trainingsverlust %1 · vergangen %2</translation>
    </message>
    <message>
        <source>Epoch %1/%2: training loss %3</source>
        <translation>Epoche %1/%2: Trainingsverlust %3</translation>
    </message>
    <message>
        <source>, validation loss %1</source>
        <translation>, Validierungsverlust %1</translation>
    </message>
    <message>
        <source>, validation PSNR %1 dB</source>
        <translation>, Validierungs-PSNR %1 dB</translation>
    </message>
    <message>
        <source> (%1)</source>
        <translation> (%1)</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>Angehalten</translation>
    </message>
    <message>
        <source>Stopped. The checkpoint of the last complete epoch is kept in %1.</source>
        <translation>Angehalten. Der Checkpoint der letzten vollständigen Epoche bleibt in %1 erhalten.</translation>
    </message>
    <message>
        <source>Stopped before the first epoch was complete; no checkpoint was written.</source>
        <translation>Vor Abschluss der ersten Epoche angehalten; es wurde kein Checkpoint geschrieben.</translation>
    </message>
    <message>
        <source>Finished</source>
        <translation>Fertig</translation>
    </message>
    <message>
        <source>Skipped: %1</source>
        <translation>Übersprungen: %1</translation>
    </message>
    <message>
        <source>Finished. Epochs: %1, training images: %2, validation images: %3 (%4, seed %5). Model: %6</source>
        <translation>Fertig. Epochen: %1, Trainingsbilder: %2, Validierungsbilder: %3 (%4, Seed %5). Modell: %6</translation>
    </message>
    <message>
        <source>Show the engine&apos;s default for every setting</source>
        <translation>Für jede Einstellung den Standardwert der Engine zeigen</translation>
    </message>
    <message>
        <source>Use These Settings</source>
        <translation>Diese Einstellungen übernehmen</translation>
    </message>
    <message>
        <source>Fill the form with the settings the model was trained with</source>
        <translation>Das Formular mit den Einstellungen füllen, mit denen das Modell trainiert wurde</translation>
    </message>
    <message>
        <source>Settings used: %1</source>
        <translation>Verwendete Einstellungen: %1</translation>
    </message>
    <message>
        <source>Not trained yet: Start Training writes the model here.</source>
        <translation>Noch nicht trainiert: „Training starten“ schreibt das Modell hierhin.</translation>
    </message>
</context>
</TS>
